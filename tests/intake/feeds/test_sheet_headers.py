"""Headers as counties write them: a month in the name, units, line breaks and spaces, the ledger date above the table."""
from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest
from ledgers import csv_bytes, project_code

from services.intake.feeds.spreadsheet.columns import ColumnTally
from services.intake.feeds.spreadsheet.mapping import Layout, Mapped, locate
from services.intake.feeds.spreadsheet.profiles import find_profile
from services.intake.feeds.spreadsheet.readers import read_rows
from services.intake.feeds.spreadsheet.records import map_row, validate
from shared.contracts import ProjectUpdate

CODE = project_code(1)


def read(profile_name: str, data: bytes, as_of: datetime | None = None) -> tuple[Layout, list[Mapped]]:
    profile = find_profile(profile_name)
    rows = read_rows(io.BytesIO(data))
    layout = locate(profile, rows)
    assert layout.problems == []
    return layout, [m for number, values in layout.data_rows(rows) if (m := map_row(profile, layout, number, values, as_of))]


def _lines(lines: list[list[Any]]) -> bytes:
    """A CSV of these lines: title and date lines above the header, as a county's export has them."""
    return csv_bytes(lines[1:], header=lines[0], encoding="utf-8")


def update(mapped: Mapped) -> ProjectUpdate:
    assert mapped.item is not None, mapped.problems
    return ProjectUpdate.model_validate(mapped.item)


@pytest.mark.parametrize(("header", "cell", "fen", "month"), [
    ("1-11月完成投资", "3200.5", 3_200_500_000, "2026-11"),
    ("1-3月完成投资(万元)", "120", 120_000_000, "2026-03"),
    ("1-3月完成投资（元）", "1,234.56", 123_456, "2026-03"),
    ("1-3月完成投资（亿元）", "1.25", 12_500_000_000, "2026-03"),
    ("2025年1-12月完成投资", "10", 10_000_000, "2025-12"),
    ("1-11月\n完成投资\n（万元）", "8", 8_000_000, "2026-11"),
    ("１－１１月 累计完成投资", "8", 8_000_000, "2026-11"),
    ("1月至11月份完成投资额", "8", 8_000_000, "2026-11"),
    ("1—11月完成投资万元", "8", 8_000_000, "2026-11"),
])
def test_a_month_in_the_header_dates_the_ledger_and_its_unit_converts_the_figure(header: str, cell: str, fen: int, month: str) -> None:
    data = _lines([["某县2026年重点项目推进表"], ["项目代码", "项目名称", header], [CODE, "城西科创园", cell]])
    layout, rows = read("county_progress", data)
    got = update(rows[0])
    assert (got.investment_ytd_fen, got.ledger_month) == (fen, month)
    assert layout.placed[-1].spec.field == "investment_ytd_fen" and "\n" not in layout.placed[-1].header


def test_the_cutoff_line_above_the_header_is_the_ledger_date_and_the_title_is_skipped() -> None:
    data = _lines([["某县重点项目月度推进表"], ["填报单位：县发改局", "", "截至2026年11月30日"], ["项目代码", "项目名称", "累计完成投资"],
                   [CODE, "城西科创园", "10"]])
    layout, rows = read("county_progress", data)
    got = update(rows[0])
    assert [m.row for m in rows] == [4] and got.ledger_month == "2026-11"
    assert got.source_record_time == datetime(2026, 11, 30, 10, tzinfo=UTC)


def test_a_filing_date_line_dates_a_ledger_whose_title_names_no_month() -> None:
    data = _lines([["某县重点项目月度推进表"], ["填报日期：2026年11月30日"], ["项目代码", "项目名称", "形象进度"], [CODE, "城西科创园", "已开工"]])
    _, rows = read("county_progress", data)
    assert update(rows[0]).ledger_month == "2026-11" and update(rows[0]).ledger[0].month == "2026-11"  # type: ignore[index]


def test_a_header_month_wins_over_a_later_filing_date_and_takes_its_year_from_it() -> None:
    """A 1-12月 table filed on 5 January is last year's December."""
    data = _lines([["填报日期：2027年1月5日"], ["项目代码", "项目名称", "1-12月完成投资"], [CODE, "城西科创园", "10"]])
    layout, rows = read("county_progress", data)
    assert update(rows[0]).ledger_month == "2026-12"
    assert [w["field"] for w in layout.warnings] == ["ledger_month"] and "按表头月份" in layout.warnings[0]["message"]


def test_a_yearless_header_month_without_a_date_line_is_dated_by_the_uploads_as_of() -> None:
    data = csv_bytes([[CODE, "城西科创园", "10"]], header=["项目代码", "项目名称", "1-11月完成投资"], encoding="utf-8")
    _, rows = read("county_progress", data, as_of=datetime(2026, 12, 3, 10, tzinfo=UTC))
    assert update(rows[0]).ledger_month == "2026-11"
    _, undated = read("county_progress", data)
    assert undated[0].item is None and "填报时间" in undated[0].problems[0].reason_zh  # refused, never guessed


def test_of_two_months_of_the_same_figure_the_later_is_taken_and_the_other_said_ignored() -> None:
    data = _lines([["截至2026年11月30日"], ["项目代码", "项目名称", "1-10月完成投资", "1-11月完成投资"], [CODE, "城西科创园", "9", "10"]])
    layout, rows = read("county_progress", data)
    assert update(rows[0]).investment_ytd_fen == 10_000_000
    report = ColumnTally().report(layout, find_profile("county_progress"))
    earlier = next(c for c in report["columns"] if c["column"] == "1-10月完成投资")
    assert earlier["status"] == "ignored" and "1-11月完成投资" in earlier["why"]


def test_a_unit_line_above_the_table_sets_the_unit_of_headers_without_one() -> None:
    data = _lines([["单位：元"], ["项目代码", "项目名称", "总投资", "累计完成投资（万元）"], [CODE, "城西科创园", "1234567.89", "12"]])
    _, rows = read("county_progress", data, as_of=datetime(2026, 11, 30, 10, tzinfo=UTC))
    got = update(rows[0])
    assert (got.total_investment_fen, got.investment_ytd_fen) == (123_456_789, 12_000_000)


@pytest.mark.parametrize(("header", "cell", "m2"), [
    ("供地面积（亩）", "15", 10_000), ("供地面积(m²)", "666.5", 667), ("供地面积（㎡）", "100", 100), ("供地面积（公顷）", "1.5", 15_000),
    ("供地面积 平方米", "20", 20),
])
def test_area_units_in_the_header_convert_to_square_metres(header: str, cell: str, m2: int) -> None:
    data = csv_bytes([["3301062024B00001", CODE, cell, "2026-11-30"]], header=["电子监管号", "项目代码", header, "更新日期"], encoding="utf-8")
    _, rows = read("zrzy_land_supply", data)
    assert update(rows[0]).land_parcel.required_area_m2 == m2  # type: ignore[union-attr]


def test_the_months_words_are_kept_exactly_as_written() -> None:
    words = "  1号楼主体封顶（三期）；\n2号楼基础施工ＡＢ段  "
    data = _lines([["截至2026年11月30日"], ["项目代码", "项目名称", "形象进度", "存在问题", "下月计划", "下月计划投资"],
                   [CODE, "城西科创园（三期）", words, "无", "完成１号楼装修", "300"]])
    _, rows = read("county_progress", data)
    got = update(rows[0])
    assert got.name == "城西科创园（三期）" and got.ledger is not None
    entry = got.ledger[0]
    assert (entry.progress, entry.problems, entry.next_month_plan, entry.next_month_plan_fen) == (
        words.strip(), None, "完成１号楼装修", 300_000_000)
    assert got.reported_problems is None  # 无: no problem reported


def test_the_shipped_ledger_reads_a_month_header_and_the_months_words() -> None:
    """fgw_ledger used to drop 1-11月完成投资 on every row; it reads it now, and 形象进度/存在问题/下月计划 beside it."""
    data = _lines([["某县重点项目建设进度台账"], ["截至2026年11月30日"],
                   ["项目代码", "项目名称", "1-11月完成投资（万元）", "形象进度", "存在问题", "下月计划", "序号"],
                   [CODE, "城西科创园", "12", "基础完成", "1.用地未报批\n2.环评未批复", "主体施工", "1"]])
    layout, rows = read("fgw_ledger", data)
    got = update(rows[0])
    assert (got.investment_ytd_fen, got.ledger_month) == (12_000_000, "2026-11")
    assert got.ledger is not None and got.ledger[0].problems == "1.用地未报批\n2.环评未批复"
    assert [p.description for p in got.reported_problems or ()] == ["用地未报批", "环评未批复"]
    assert layout.ignored == {"序号": "序号只是行号，未导入 / a row number; not imported"}


def test_words_too_long_for_the_month_refuse_the_row_naming_the_column() -> None:
    data = _lines([["截至2026年11月30日"], ["项目代码", "项目名称", "形象进度"], [CODE, "城西科创园", "进" * 1001]])
    profile = find_profile("county_progress")
    layout, rows = read("county_progress", data)
    assert validate(profile, layout, "330106", rows[0], datetime(2026, 12, 1, tzinfo=UTC)) is None
    assert [(p.column, p.reason_zh) for p in rows[0].problems] == [("形象进度", "内容过长")]


def test_a_rows_own_month_wins_over_the_ledger_date_above() -> None:
    data = _lines([["截至2026年11月30日"], ["项目代码", "项目名称", "填报月份", "形象进度"],
                   [CODE, "城西科创园", "2026年10月", "补报10月"], [project_code(2), "城东污水厂", None, "11月进展"]])
    _, rows = read("county_progress", data)
    assert [(update(m).ledger_month, update(m).ledger[0].month) for m in rows] == [("2026-10", "2026-10"), ("2026-11", "2026-11")]  # type: ignore[index]
