"""Profiles applied to realistic files: merged two-row headers, blank and 合计 rows, unknown columns, missing columns, each shipped profile."""
from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest
from ledgers import LAND_HEADER, csv_bytes, fgw_row, fgw_xlsx, land_row, land_xlsx, pay_row

from services.intake.feeds.spreadsheet.mapping import Mapped, Problem, locate
from services.intake.feeds.spreadsheet.profiles import ProfileError, available, find_profile, parse_profile
from services.intake.feeds.spreadsheet.readers import read_rows
from services.intake.feeds.spreadsheet.records import map_row, validate
from shared.contracts import ProjectUpdate

NOW = datetime(2026, 3, 2, tzinfo=UTC)


def mapped(profile_name: str, data: bytes, as_of: datetime | None = None) -> tuple[list[Mapped], list[Problem]]:
    profile = find_profile(profile_name)
    rows = read_rows(io.BytesIO(data))
    layout = locate(profile, rows)
    results = [m for number, values in layout.data_rows(rows) if (m := map_row(profile, layout, number, values, as_of))]
    for m in results:
        validate(profile, layout, "330106", m, NOW)
    return results, layout.problems


def test_three_profiles_ship_and_parse() -> None:
    assert {"fgw_ledger", "zrzy_land_supply", "cz_payments"} <= set(available())


def test_a_one_line_header_under_a_two_line_profile_keeps_the_first_data_row() -> None:
    header = ["序号", "项目代码", "项目名称", "建设性质", "项目阶段", "总投资（万元）", "年度计划投资", "本月完成投资", "累计完成投资",
              "计划开工时间", "实际开工时间", "责任单位", "包抓领导", "备注"]
    data = csv_bytes([fgw_row(1), fgw_row(2)], header=header, encoding="utf-8")
    rows, problems = mapped("fgw_ledger", data, as_of=NOW)
    assert problems == [] and [m.row for m in rows] == [2, 3]
    assert [ProjectUpdate.model_validate(m.item).project_code for m in rows] == ["2403-330106-04-01-000001", "2403-330106-04-01-000002"]


def test_the_owner_unit_column_maps_to_owner_unit_as_written() -> None:
    header = ["序号", "项目代码", "项目名称（三期）", "建设单位"]
    data = csv_bytes([[1, "2403-330106-04-01-000001", "城西科创园（三期）", "杭州城西科创（集团）有限公司"]], header=header, encoding="utf-8")
    rows, problems = mapped("fgw_ledger", data, as_of=NOW)
    assert problems == [] and rows[0].item is not None
    assert ProjectUpdate.model_validate(rows[0].item).owner_unit == "杭州城西科创（集团）有限公司"


def test_subtotal_and_footer_lines_are_skipped_not_reported_as_bad_rows() -> None:
    layout_lines = [["小计（新建项目）", None, None, None, None, 12000.5], [None, "小 计", None, None, None, 12000.5],
                    ["填报人：张三", None, None, None, "审核人：李四"], ["联系电话：0571-88886666"], ["填报日期：2024年4月3日"]]
    rows, problems = mapped("fgw_ledger", fgw_xlsx([fgw_row(1), *layout_lines, fgw_row(2)]))
    assert problems == [] and [(m.row, m.problems) for m in rows] == [(5, []), (11, [])]


def test_fgw_ledger_with_merged_two_row_header_title_month_and_trailing_rows() -> None:
    rows, problems = mapped("fgw_ledger", fgw_xlsx([fgw_row(1), fgw_row(2, c3="续建", c9="2024-04")]))
    assert problems == [] and [m.row for m in rows] == [5, 6]  # 合计 and blank rows are not records
    first = ProjectUpdate.model_validate(rows[0].item)
    assert first.project_code == "2403-330106-04-01-000001" and first.ledger_month == "2024-03"
    assert (first.total_investment_fen, first.annual_plan_fen, first.investment_month_fen, first.investment_ytd_fen) == (
        12_000_500_000, 3_000_000_000, 250_250_000, 1_800_000_000)
    assert first.source_record_time == datetime(2024, 3, 31, 10, tzinfo=UTC)  # 18:00 Beijing on the month's last day
    assert first.source_record_id == first.project_code and first.nature == "new" and first.leader == "张副县长"
    assert [(m.name, str(m.planned), str(m.actual)) for m in first.milestones or ()] == [("开工", "2024-03-05", "2024-03-18")]
    assert rows[1].item and rows[1].item["milestones"][0]["planned"] == "2024-04-30"


def test_a_plan_column_that_names_its_year_gives_each_plan_that_year() -> None:
    """December's table carries next year's plan (2026年计划投资): each row's plan is 2026's, and a row with no plan
    names no year (intake would refuse a year without a plan)."""
    bottom = [None, None, None, None, None, None, "2026年计划投资", "本月完成投资", "累计完成投资", None, None, None, None, None]
    data = fgw_xlsx([fgw_row(1), fgw_row(2, c6=None)], title="某县2025年12月重点项目建设进度台账", bottom=bottom)
    rows, problems = mapped("fgw_ledger", data)
    assert problems == [] and all(row.problems == [] for row in rows)
    first, second = (ProjectUpdate.model_validate(row.item) for row in rows)
    assert (first.ledger_month, first.annual_plan_fen, first.annual_plan_year) == ("2025-12", 3_000_000_000, 2026)
    assert (second.annual_plan_fen, second.annual_plan_year) == (None, None)


def test_cell_errors_name_row_column_value_and_reason() -> None:
    rows, _ = mapped("fgw_ledger", fgw_xlsx([fgw_row(1, c5="一万二", c9="2024-02-30", c4="施工中"), fgw_row(2, c1="2403-33")]))
    assert rows[0].item is None
    assert {(p.row, p.column, p.value) for p in rows[0].problems} == {
        (5, "总投资(万元)", "一万二"), (5, "计划开工时间", "2024-02-30"), (5, "项目阶段", "施工中")}
    assert all(p.reason_zh and p.reason_en for p in rows[0].problems)
    assert [(p.row, p.column, p.field) for p in rows[1].problems] == [(6, "项目代码", "project_code")]


def test_unknown_columns_are_ignored_and_missing_required_columns_reported_once() -> None:
    header = ["项目代码", "项目名称", "随便一列", "累计支付（元）", "统计截止日期"]
    rows, problems = mapped("cz_payments", csv_bytes([[f"2403-330106-04-01-00000{i}", "x", "?", "100", "2024-03-31"] for i in range(5)], header))
    assert [(p.row, p.column) for p in problems] == [(1, "批复预算")]  # once, for the file, not once per row
    rows, problems = mapped("cz_payments", csv_bytes([[f"2403-330106-04-01-00000{i}", "x", "?", "100", "2024-03-31", "5"] for i in range(2)],
                                                     [*header, "批复预算"]))
    assert problems == [] and all(m.item and "随便一列" not in str(m.item) for m in rows)


def test_no_header_at_all_is_one_file_level_problem() -> None:
    _, problems = mapped("fgw_ledger", csv_bytes([["a", "b"]] * 40, ["x", "y"], "utf-8"))
    assert len(problems) == 1 and "项目代码" in problems[0].reason_zh


def test_land_supply_list_in_mu_with_record_key_of_project_and_parcel() -> None:
    rows, problems = mapped("zrzy_land_supply", land_xlsx([land_row(1), land_row(2, c11=None)]))
    update = ProjectUpdate.model_validate(rows[0].item)
    assert problems == [] and update.land_parcel is not None
    assert (update.land_parcel.required_area_m2, update.land_parcel.land_price_fen) == (10_000, 1_234_560_000)
    assert str(update.land_parcel.agreed_start_date) == "2024-03-31" and str(update.land_parcel.handover_date) == "2024-01-10"
    assert update.source_record_id == "2403-330106-04-01-000001|3301062024B00001"
    assert rows[1].item is None and rows[1].problems[0].column == "更新日期"  # no date and no as_of: refused, not guessed
    with_as_of, _ = mapped("zrzy_land_supply", land_xlsx([land_row(2, c11=None)]), as_of=datetime(2024, 4, 1, 10, tzinfo=UTC))
    assert with_as_of[0].item and with_as_of[0].item["source_record_time"] == "2024-04-01T10:00:00+00:00"
    assert LAND_HEADER[6] == "供地面积（亩）"


def test_finance_payment_csv_in_yuan_exact_to_the_fen() -> None:
    rows, problems = mapped("cz_payments", csv_bytes([pay_row(1), pay_row(2, c6="12.345")]))
    update = ProjectUpdate.model_validate(rows[0].item)
    assert problems == [] and update.government_funded is True
    assert (update.budget_fen, update.committed_cost_fen, update.spent_cost_fen) == (123_456_789, 100_000_000, 50_000_010)
    assert rows[1].problems[0].column == "累计支付(元)" and "分" in rows[1].problems[0].reason_zh


def test_a_fourth_source_is_only_a_profile() -> None:
    profile = parse_profile({
        "name": "zjj_permits", "version": 1, "source_system": "zjj_permits", "header": {"contains": "施工许可证号"},
        "record": {"id": ["project_code"], "time": ["meta.issued"]},
        "columns": [{"field": "project_code", "headers": ["项目代码"], "kind": "code", "required": True},
                    {"field": "milestones.施工许可.actual", "headers": ["发证日期"], "kind": "date"},
                    {"field": "meta.issued", "headers": ["发证日期"], "kind": "date"}],
    })
    assert profile.column_for("meta.issued") is not None
    with pytest.raises(ProfileError):
        parse_profile({"name": "x", "version": 1, "source_system": "x", "header": {"contains": "a"},
                       "record": {"id": ["nope"], "time": ["as_of"]}, "columns": [{"field": "name", "headers": ["a"], "kind": "weird"}]})


def _item(rows: list[Mapped]) -> dict[str, Any]:
    assert rows[0].item is not None
    return rows[0].item


def test_full_width_cells_and_yuan_written_in_the_cell() -> None:
    row = fgw_row(1, c1="２４０３－３３０１０６－０４－０１－０００００１", c5="８０００万元", c6="5000000元", c9="２０２４年３月５日")
    item = _item(mapped("fgw_ledger", fgw_xlsx([row]))[0])
    assert item["project_code"] == "2403-330106-04-01-000001"
    assert (item["total_investment_fen"], item["annual_plan_fen"]) == (8_000_000_000, 500_000_000)
    assert item["milestones"][0]["planned"] == "2024-03-05"
