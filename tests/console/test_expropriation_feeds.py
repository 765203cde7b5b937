"""征迁 progress (households signed of the total, by date) from every feed, merged by date in tracker."""
from __future__ import annotations

import io
from datetime import UTC, date, datetime
from typing import Any

import pytest
from openpyxl import Workbook

from services.intake.feeds.spreadsheet.mapping import locate
from services.intake.feeds.spreadsheet.profiles import find_profile
from services.intake.feeds.spreadsheet.readers import read_rows
from services.intake.feeds.spreadsheet.records import map_row, validate
from services.intake.validation import check
from services.tracker.domain import merge, unflatten
from shared.contracts import ProjectSnapshot, ProjectUpdate

NOW = datetime(2026, 3, 2, tzinfo=UTC)
CODE = "2403-330106-04-01-000001"


def xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def sheet_rows(profile_name: str, data: bytes) -> list:  # type: ignore[type-arg]
    profile = find_profile(profile_name)
    rows = read_rows(io.BytesIO(data))
    layout = locate(profile, rows)
    assert layout.problems == []
    found = [m for number, values in rows if (m := map_row(profile, layout, number, values, None))]
    for m in found:
        validate(profile, layout, "330106", m, NOW)
    return found


# fgw_ledger reads a two-row header (merged groups above their columns); these columns sit in the top row.
FGW = [["某县2026年2月重点项目建设进度台账"], ["项目代码", "项目名称", "征迁总户数", "已签约户数"], [None, None, None, None]]
LAND = [["2026年第一季度国有建设用地供应清单"], ["电子监管号", "项目代码", "项目名称", "更新日期", "应征迁户数", "签约户数", "征迁统计日期"]]


@pytest.mark.parametrize(("profile", "rows", "expected"), [
    # the ledger's month dates the count (its last day) when no column does
    ("fgw_ledger", [*FGW, [CODE, "城西科创产业园", 80, 52]], (date(2026, 2, 28), 80, 52)),
    ("zrzy_land_supply", [*LAND, ["3301062026B00001", CODE, "城西科创产业园", "2026-02-27", "120", "96", "2026年2月20日"]],
     (date(2026, 2, 20), 120, 96)),
])
def test_spreadsheet_profiles_map_the_expropriation_columns(profile, rows, expected) -> None:
    [mapped] = sheet_rows(profile, xlsx(rows))
    assert mapped.problems == []
    [progress] = ProjectUpdate.model_validate(mapped.item).expropriation or ()
    assert (progress.as_of, progress.households_total, progress.households_signed) == expected


def test_more_signed_than_households_is_reported_on_the_signed_column() -> None:
    [mapped] = sheet_rows("fgw_ledger", xlsx([*FGW, [CODE, "城西科创产业园", 80, 81]]))
    assert [(p.column, p.field) for p in mapped.problems] == [("已签约户数", "expropriation.households_signed")]


def test_a_ledger_without_the_columns_still_maps() -> None:
    [mapped] = sheet_rows("fgw_ledger", xlsx([FGW[0], ["项目代码", "项目名称"], [None, None], [CODE, "城西科创产业园"]]))
    assert mapped.problems == [] and "expropriation" not in mapped.item


def update(record: str, at: datetime, progress: list[dict[str, Any]]) -> ProjectUpdate:
    return ProjectUpdate.model_validate({"project_code": CODE, "source_system": "征迁办台账", "source_record_id": record,
                                         "source_record_time": at, "expropriation": progress})


def test_the_json_bus_and_pull_feeds_accept_it_and_tracker_merges_it_by_date() -> None:
    first = update("a", datetime(2026, 2, 14, tzinfo=UTC), [{"as_of": "2026-02-13", "households_total": 80, "households_signed": 31}])
    later = update("b", datetime(2026, 2, 28, tzinfo=UTC), [{"as_of": "2026-02-27", "households_total": 80, "households_signed": 56},
                                                            {"as_of": "2026-02-13", "households_total": 80, "households_signed": 33}])
    assert check("330106", first, date(2026, 3, 2)) == () and check("330106", later, date(2026, 3, 2)) == ()
    state, _ = merge({}, later, "e2")
    state, changes = merge(state, first, "e1")  # older record, arriving late: changes nothing
    assert changes == []
    snapshot = ProjectSnapshot.model_validate({"project_id": "6f1c2b8e-8d1e-5a55-9d1c-000000000001", **unflatten(state)})
    assert [(p.as_of.isoformat(), p.households_signed) for p in snapshot.expropriation or ()] == [("2026-02-13", 33), ("2026-02-27", 56)]
