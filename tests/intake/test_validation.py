"""Semantic validation of one update: one row per rule, at its boundary; and triage rejecting such items."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from services.intake.domain import Accepted, Rejected, triage
from services.intake.validation import allowed_transition, check
from shared.contracts import ProjectUpdate, Stage

COUNTY = "330106"  # 杭州市西湖区: prefecture 330100 杭州市, province 330000 浙江省
TODAY = date(2026, 3, 2)
DAY = timedelta(days=1)
HORIZON = date(2041, 3, 2)  # TODAY + 15 years


def item(**fields: Any) -> dict[str, Any]:
    return {"project_code": "2403-330106-04-01-123456", "source_system": "ledger", "source_record_id": "r-1",
            "source_record_time": "2026-03-01T09:00:00+08:00", **fields}


def parcel(**fields: Any) -> dict[str, Any]:
    return {"land_parcel": {"parcel_id": "P-1", **fields}}


def code(yymm: str = "2403", region: str = COUNTY) -> str:
    return f"{yymm}-{region}-04-01-123456"


def delay(start: date, end: date | None = None) -> dict[str, Any]:
    return {"start": start, "end": end, "cause": "petitions", "blocking_department": "住建局"}


def money(**fields: int) -> dict[str, Any]:
    return {"ledger_month": "2026-02", **fields}


# (fields of the item, the field expected in error, or None when the item is fine)
CASES: list[tuple[str, dict[str, Any], str | None]] = [
    # 项目代码: the region part is the county, its prefecture or its province
    ("code own county", {"project_code": code()}, None),
    ("code prefecture", {"project_code": code(region="330100")}, None),
    ("code province", {"project_code": code(region="330000")}, None),
    ("code sibling county", {"project_code": code(region="330108")}, "project_code"),
    ("code other prefecture", {"project_code": code(region="330200")}, "project_code"),
    ("code other province", {"project_code": code(region="110101")}, "project_code"),
    # 项目代码: YYMM not after the current month
    ("code last month", {"project_code": code("2602")}, None),
    ("code this month", {"project_code": code("2603")}, None),
    ("code next month", {"project_code": code("2604")}, "project_code"),
    ("code next year", {"project_code": code("2701")}, "project_code"),
    # ledger month not after the current month
    ("ledger last month", {"ledger_month": "2026-02"}, None),
    ("ledger this month", {"ledger_month": "2026-03"}, None),
    ("ledger next month", {"ledger_month": "2026-04"}, "ledger_month"),
    # every month from 1990 on, in ASCII digits (the pattern's \d takes year 0000 and other scripts' digits)
    ("ledger month of 1990", {"ledger_month": "1990-01"}, None),
    ("ledger month of 1989", {"ledger_month": "1989-12"}, "ledger_month"),
    ("ledger month of year 0", {"ledger_month": "0000-01"}, "ledger_month"),
    ("ledger month in Arabic-Indic digits", {"ledger_month": "\u0662\u0660\u0662\u0666-01"}, "ledger_month"),
    ("a ledger entry of year 0", {"ledger": [{"month": "2026-01"}, {"month": "0000-01"}]}, "ledger.1.month"),
    ("a problem reported in year 0", {"reported_problems": [{"key": "p1", "description": "用地", "month": "0000-12"}]},
     "reported_problems.0.month"),
    # actual dates: today at the latest
    *[
        (f"{name} {label}", fields(TODAY + offset), field if offset > timedelta(0) else None)
        for name, field, fields in [
            ("handover", "land_parcel.handover_date", lambda d: parcel(handover_date=d)),
            ("actual start", "land_parcel.actual_start_date", lambda d: parcel(actual_start_date=d)),
            ("last progress", "land_parcel.last_progress_date", lambda d: parcel(last_progress_date=d)),
            ("milestone actual", "milestones.0.actual", lambda d: {"milestones": [{"name": "签约", "actual": d}]}),
            ("delay start", "land_parcel.government_delays.0.start", lambda d: parcel(government_delays=[delay(d)])),
            ("approval", "overrun_approval.approved_on", lambda d: {"overrun_approval": {"approved": True, "approved_on": d}}),
            ("statistics start", "stats_start_date", lambda d: {"stats_start_date": d}),
            ("statistics enrolment", "stats_enrolled_on", lambda d: {"stats_enrolled_on": d}),
            ("核准", "approval.approved_on", lambda d: {"approval": {"kind": "approved", "approved_on": d}}),
            ("central funds issued", "central_funds.0.issued_on", lambda d: {"central_funds": [{"batch_id": "C1", "issued_on": d, "amount_fen": 1}]}),
            ("SME payment accepted", "sme_payments.0.accepted_on",
             lambda d: {"sme_payments": [{"payment_id": "F1", "accepted_on": d, "amount_fen": 1}]}),
            ("SME payment paid", "sme_payments.0.paid_on",
             lambda d: {"sme_payments": [{"payment_id": "F1", "accepted_on": TODAY - 9 * DAY, "amount_fen": 1, "paid_on": d}]}),
            ("征迁 progress", "expropriation.0.as_of",
             lambda d: {"expropriation": [{"as_of": d, "households_total": 10, "households_signed": 4}]}),
        ]
        for label, offset in [("yesterday", -DAY), ("today", timedelta(0)), ("tomorrow", DAY)]
    ],
    # planned dates: at most 15 years ahead
    *[
        (f"{name} {label}", fields(HORIZON + offset), field if offset > timedelta(0) else None)
        for name, field, fields in [
            ("agreed start", "land_parcel.agreed_start_date", lambda d: parcel(agreed_start_date=d)),
            ("milestone planned", "milestones.0.planned", lambda d: {"milestones": [{"name": "竣工", "planned": d}]}),
            ("delay end", "land_parcel.government_delays.0.end", lambda d: parcel(government_delays=[delay(TODAY, d)])),
        ]
        for label, offset in [("horizon - 1", -DAY), ("horizon", timedelta(0)), ("horizon + 1", DAY)]
    ],
    # nothing before 1990-01-01
    ("agreed start 1990-01-01", parcel(agreed_start_date=date(1990, 1, 1)), None),
    ("agreed start 1989-12-31", parcel(agreed_start_date=date(1989, 12, 31)), "land_parcel.agreed_start_date"),
    ("milestone actual 1989-12-31", {"milestones": [{"name": "立项", "actual": date(1989, 12, 31)}]}, "milestones.0.actual"),
    # handover ≤ actual start ≤ last progress
    ("start the day after handover", parcel(handover_date=date(2025, 5, 1), actual_start_date=date(2025, 5, 2)), None),
    ("start on handover", parcel(handover_date=date(2025, 5, 1), actual_start_date=date(2025, 5, 1)), None),
    ("start before handover", parcel(handover_date=date(2025, 5, 1), actual_start_date=date(2025, 4, 30)),
     "land_parcel.actual_start_date"),
    ("progress on start", parcel(actual_start_date=date(2025, 5, 1), last_progress_date=date(2025, 5, 1)), None),
    ("progress before start", parcel(actual_start_date=date(2025, 5, 1), last_progress_date=date(2025, 4, 30)),
     "land_parcel.last_progress_date"),
    # year to date ≥ month; month, year to date and annual plan ≤ total
    ("ytd equals month", money(investment_month_fen=500, investment_ytd_fen=500), None),
    ("ytd below month", money(investment_month_fen=500, investment_ytd_fen=499), "investment_ytd_fen"),
    ("month equals total", money(investment_month_fen=2_000_000, total_investment_fen=2_000_000), None),
    ("month over total", money(investment_month_fen=2_000_001, total_investment_fen=2_000_000), "investment_month_fen"),
    ("ytd over total", money(investment_ytd_fen=2_000_001, total_investment_fen=2_000_000), "investment_ytd_fen"),
    ("plan equals total", {"annual_plan_fen": 2_000_000, "total_investment_fen": 2_000_000}, None),
    ("plan over total", {"annual_plan_fen": 2_000_001, "total_investment_fen": 2_000_000}, "annual_plan_fen"),
    # a plan's year goes with a plan, and is next year's at the latest
    ("plan for next year", {"annual_plan_fen": 1, "annual_plan_year": 2027}, None),
    ("plan for the year after", {"annual_plan_fen": 1, "annual_plan_year": 2028}, "annual_plan_year"),
    ("plan year without a plan", {"annual_plan_year": 2026}, "annual_plan_year"),
    # money in fen: a total under 1万元 was sent in another unit
    ("total zero", {"total_investment_fen": 0}, None),
    ("total 1万元", {"total_investment_fen": 1_000_000}, None),
    ("total just under 1万元", {"total_investment_fen": 999_999}, "total_investment_fen"),
    # developed area ≤ 120% of the required area
    ("developed 120%", parcel(required_area_m2=1000, developed_area_m2=1200), None),
    ("developed over 120%", parcel(required_area_m2=1000, developed_area_m2=1201), "land_parcel.developed_area_m2"),
    # a started (or later) project's parcel has an agreed or an actual start date
    ("signed parcel without dates", {"stage": "signed", **parcel()}, None),
    ("started parcel without dates", {"stage": "started", **parcel()}, "land_parcel.agreed_start_date"),
    ("at capacity parcel without dates", {"stage": "at_capacity", **parcel()}, "land_parcel.agreed_start_date"),
    ("started parcel with agreed date", {"stage": "started", **parcel(agreed_start_date=date(2025, 5, 1))}, None),
    ("started parcel with actual date", {"stage": "started", **parcel(actual_start_date=date(2025, 5, 1))}, None),
    ("cancelled parcel without dates", {"stage": "cancelled", **parcel()}, None),
    # a completed (or later) project's 开工 milestone has its actual date
    ("started, 开工 only planned", {"stage": "started", "milestones": [{"name": "开工", "planned": date(2025, 5, 1)}]}, None),
    ("completed, 开工 only planned", {"stage": "completed", "milestones": [{"name": "开工", "planned": date(2025, 5, 1)}]},
     "milestones.0.actual"),
    ("in production, Start only planned",
     {"stage": "in_production", "milestones": [{"name": "签约", "actual": date(2024, 1, 1)},
                                               {"name": "Start", "planned": date(2025, 5, 1)}]},
     "milestones.1.actual"),
    ("completed, 开工 done", {"stage": "completed",
                            "milestones": [{"name": "开工", "planned": date(2025, 5, 1), "actual": date(2025, 5, 8)}]}, None),
]


def bilingual(message: str) -> bool:
    chinese, _, english = message.partition(" / ")
    return re.search(r"[\u4e00-\u9fff]", chinese) is not None and re.search(r"[A-Za-z]{3,}", english) is not None


@pytest.mark.parametrize(("fields", "expected"), [(fields, expected) for _, fields, expected in CASES],
                         ids=[name for name, _, _ in CASES])
def test_each_rule_at_its_boundary(fields: dict[str, Any], expected: str | None) -> None:
    errors = check(COUNTY, ProjectUpdate.model_validate(item(**fields)), TODAY)
    assert [error.field for error in errors] == ([expected] if expected else [])
    assert all(bilingual(error.message) for error in errors), errors


def test_a_wrong_region_names_both_codes() -> None:
    [error] = check(COUNTY, ProjectUpdate.model_validate(item(project_code=code(region="330782"))), TODAY)
    chinese, english = error.message.split(" / ")
    assert all("330782" in part and "330106" in part for part in (chinese, english))


def test_every_problem_is_reported_at_once() -> None:
    update = ProjectUpdate.model_validate(item(
        project_code=code(region="330782"), ledger_month="2026-04",
        investment_month_fen=10, investment_ytd_fen=5, **parcel(handover_date=TODAY + DAY),
    ))
    assert [error.field for error in check(COUNTY, update, TODAY)] == [
        "project_code", "ledger_month", "land_parcel.handover_date", "investment_ytd_fen",
    ]


def test_a_local_id_only_item_skips_the_code_rules() -> None:
    raw = {k: v for k, v in item(local_id="XH-2025-031").items() if k != "project_code"}
    assert check(COUNTY, ProjectUpdate.model_validate(raw), TODAY) == ()


@pytest.mark.parametrize(
    ("old", "new", "allowed"),
    [
        (None, Stage.started, True),  # first report: any stage
        (None, Stage.cancelled, True),
        (Stage.signed, Stage.signed, True),  # no change
        (Stage.reserve, Stage.negotiating, True),  # one step forward
        (Stage.negotiating, Stage.started, True),  # skipping stages forward
        (Stage.started, Stage.at_capacity, True),
        (Stage.started, Stage.signed, False),  # backward
        (Stage.at_capacity, Stage.in_production, False),
        (Stage.negotiating, Stage.reserve, False),
        (Stage.reserve, Stage.cancelled, True),  # any → cancelled
        (Stage.at_capacity, Stage.cancelled, True),
        (Stage.cancelled, Stage.reserve, True),  # re-activated
        (Stage.cancelled, Stage.cancelled, True),
        (Stage.cancelled, Stage.signed, False),  # re-activation only into reserve
        (Stage.cancelled, Stage.started, False),
    ],
)
def test_stage_transitions(old: Stage | None, new: Stage, allowed: bool) -> None:
    assert allowed_transition(old, new) is allowed


def test_along_the_pipeline_only_forward_or_staying_is_allowed_and_any_stage_may_be_cancelled() -> None:
    pipeline = [stage for stage in Stage if stage is not Stage.cancelled]  # declared in pipeline order
    for i, old in enumerate(pipeline):
        assert allowed_transition(old, Stage.cancelled)
        for j, new in enumerate(pipeline):
            assert allowed_transition(old, new) is (j >= i), (old, new)


# triage: semantic errors reject the item with the field named, at its index

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Beijing


def test_triage_rejects_a_foreign_project_code_and_keeps_the_valid_items() -> None:
    foreign = item(source_record_id="r-2", project_code=code(region="330782"))
    split = triage(COUNTY, [item(), foreign, item(source_record_id="r-3")], NOW)
    assert [type(result) for result in split.results()] == [Accepted, Rejected, Accepted]
    [(index, kept, rejected)] = split.rejected
    assert (index, kept) == (1, foreign)
    assert [error.field for error in rejected.errors] == ["project_code"]
    assert bilingual(rejected.errors[0].message)


@pytest.mark.parametrize(
    ("now", "accepted"),
    [
        (datetime(2026, 3, 1, 15, 59, tzinfo=UTC), False),  # 23:59 on 1 March in Beijing: 2 March is tomorrow
        (datetime(2026, 3, 1, 16, 0, tzinfo=UTC), True),  # 00:00 on 2 March in Beijing: today
    ],
)
def test_triage_judges_actual_dates_by_the_beijing_date(now: datetime, accepted: bool) -> None:
    split = triage(COUNTY, [item(**parcel(actual_start_date="2026-03-02"))], now)
    assert len(split.events) == int(accepted)
    if not accepted:
        [(_, _, rejected)] = split.rejected
        assert [error.field for error in rejected.errors] == ["land_parcel.actual_start_date"]


def test_triage_reports_shape_errors_first_and_semantic_errors_only_for_well_formed_items() -> None:
    bad_shape = item(total_investment_fen=-1, ledger_month="2026-04")
    bad_meaning = item(source_record_id="r-2", investment_month_fen=2_000_001, total_investment_fen=2_000_000)
    split = triage(COUNTY, [bad_shape, bad_meaning], NOW)
    assert split.events == ()
    fields = {index: [error.field for error in rejected.errors] for index, _, rejected in split.rejected}
    assert fields == {0: ["total_investment_fen"], 1: ["investment_month_fen"]}


def test_triage_rejects_a_completed_project_whose_start_is_only_planned() -> None:
    raw = item(stage="completed", milestones=[{"name": "开工", "planned": "2025-05-01"}])
    [(_, _, rejected)] = triage(COUNTY, [raw], NOW).rejected
    assert [error.field for error in rejected.errors] == ["milestones.0.actual"]
    assert "开工" in rejected.errors[0].message and "planned" in rejected.errors[0].message
