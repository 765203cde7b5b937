"""R1 idle land: the ladder's exact day boundaries, audiences, evidence, pauses and type B."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from services.escalation.domain.facts import Delay, Parcel, ProjectFacts
from services.escalation.domain.findings import Audience, Finding
from services.escalation.domain.policy import Policy
from services.escalation.domain.rules.idle_land import evaluate_idle_land

D = date.fromisoformat
UNIT, LEADER, LEAD = "杭州西溪置业有限公司", "王副区长", "区经信局"
POLICY = Policy(county_code="330106")


def parcel(**fields: Any) -> Parcel:
    fields.setdefault("parcel_id", "P-017")
    for key, value in list(fields.items()):
        if isinstance(value, str) and key.endswith("_date"):
            fields[key] = D(value)
    return Parcel(**fields)


def facts(*parcels: Parcel, **changes: Any) -> ProjectFacts:
    base = ProjectFacts(project_id="p-1", name="西溪数字产业园", project_code=None, county_code="330106",
                        government_funded=False, leader=LEADER, lead_department=LEAD, responsible_unit=UNIT,
                        total_investment_fen=1_000_000_000, parcels=parcels)
    return replace(base, **changes)


def only(findings: list[Finding]) -> Finding:
    assert len(findings) == 1, findings
    return findings[0]


def level_of(p: Parcel, as_of: str, policy: Policy = POLICY) -> int | None:
    found = evaluate_idle_land(facts(p), policy, D(as_of))
    return only(found).level if found else None


CLOSED_PAUSE = (Delay(D("2025-06-01"), D("2025-06-10"), "land_not_delivered", "区征迁办"),)


@pytest.mark.parametrize(
    ("base", "delays", "as_of", "level"),
    [
        # agreed start 2025-03-01: 9 months end 2025-12-01, 11 → 2026-02-01, 12 → 2026-03-01, 24 → 2027-03-01
        pytest.param("2025-03-01", (), "2025-11-30", None, id="9m-day-before"),
        pytest.param("2025-03-01", (), "2025-12-01", None, id="9m-last-day"),
        pytest.param("2025-03-01", (), "2025-12-02", 1, id="9m-day-after"),
        pytest.param("2025-03-01", (), "2026-02-01", 1, id="11m-last-day"),
        pytest.param("2025-03-01", (), "2026-02-02", 2, id="11m-day-after"),
        pytest.param("2025-03-01", (), "2026-02-28", 2, id="12m-day-before"),
        pytest.param("2025-03-01", (), "2026-03-01", 2, id="12m-last-day"),
        pytest.param("2025-03-01", (), "2026-03-02", 3, id="12m-idle-from-next-day"),
        pytest.param("2025-03-01", (), "2027-02-28", 3, id="24m-day-before"),
        pytest.param("2025-03-01", (), "2027-03-01", 3, id="24m-last-day"),
        pytest.param("2025-03-01", (), "2027-03-02", 4, id="24m-day-after"),
        # leap-day base: every corresponding date in a common year clips to 28 February
        pytest.param("2024-02-29", (), "2024-11-29", None, id="leap-base-9m-last-day"),
        pytest.param("2024-02-29", (), "2024-11-30", 1, id="leap-base-9m-day-after"),
        pytest.param("2024-02-29", (), "2025-02-27", 2, id="leap-base-12m-day-before"),
        pytest.param("2024-02-29", (), "2025-02-28", 2, id="leap-base-12m-last-day"),
        pytest.param("2024-02-29", (), "2025-03-01", 3, id="leap-base-12m-day-after"),
        pytest.param("2024-02-29", (), "2026-02-28", 3, id="leap-base-24m-last-day"),
        pytest.param("2024-02-29", (), "2026-03-01", 4, id="leap-base-24m-day-after"),
        # 28 February into a leap year: the year ends on the 28th, the 29th is already idle
        pytest.param("2023-02-28", (), "2024-02-27", 2, id="into-leap-12m-day-before"),
        pytest.param("2023-02-28", (), "2024-02-28", 2, id="into-leap-12m-last-day"),
        pytest.param("2023-02-28", (), "2024-02-29", 3, id="into-leap-12m-leap-day-is-idle"),
        # month-end bases
        pytest.param("2025-01-31", (), "2025-10-31", None, id="jan31-9m-last-day"),
        pytest.param("2025-01-31", (), "2025-11-01", 1, id="jan31-9m-day-after"),
        pytest.param("2025-01-31", (), "2025-12-31", 1, id="jan31-11m-last-day"),
        pytest.param("2025-01-31", (), "2026-01-01", 2, id="jan31-11m-day-after"),
        pytest.param("2025-01-31", (), "2026-01-31", 2, id="jan31-12m-last-day"),
        pytest.param("2025-01-31", (), "2026-02-01", 3, id="jan31-12m-day-after"),
        pytest.param("2025-05-31", (), "2026-02-28", None, id="may31-9m-clipped-last-day"),
        pytest.param("2025-05-31", (), "2026-03-01", 1, id="may31-9m-clipped-day-after"),
        # a closed 10-day pause pushes every period by 10 days
        pytest.param("2025-03-01", CLOSED_PAUSE, "2025-12-11", None, id="paused-9m-last-day"),
        pytest.param("2025-03-01", CLOSED_PAUSE, "2025-12-12", 1, id="paused-9m-day-after"),
        pytest.param("2025-03-01", CLOSED_PAUSE, "2026-03-11", 2, id="paused-12m-last-day"),
        pytest.param("2025-03-01", CLOSED_PAUSE, "2026-03-12", 3, id="paused-12m-day-after"),
        pytest.param("2025-03-01", CLOSED_PAUSE, "2027-03-11", 3, id="paused-24m-last-day"),
        pytest.param("2025-03-01", CLOSED_PAUSE, "2027-03-12", 4, id="paused-24m-day-after"),
    ],
)
def test_type_a_ladder_boundaries(base: str, delays: tuple[Delay, ...], as_of: str, level: int | None) -> None:
    assert level_of(parcel(agreed_start_date=base, delays=delays), as_of) == level


@pytest.mark.parametrize(
    ("as_of", "level"),
    [
        pytest.param("2025-11-30", None, id="open-pause-begun-before-9m-holds-the-clock"),
        pytest.param("2027-06-01", None, id="still-held-years-later"),
    ],
)
def test_open_pause_begun_before_the_first_warning_stops_the_ladder(as_of: str, level: int | None) -> None:
    delay = Delay(D("2025-11-15"), None, "plan_revised", "区自然资源和规划分局")
    assert level_of(parcel(agreed_start_date="2025-03-01", delays=(delay,)), as_of) == level


def test_ongoing_delay_after_a_warning_keeps_the_level_and_goes_to_the_blocking_department() -> None:
    delay = Delay(D("2025-12-10"), None, "land_not_delivered", "区征迁办")
    f = only(evaluate_idle_land(facts(parcel(agreed_start_date="2025-03-01", delays=(delay,))), POLICY, D("2026-06-01")))
    assert f.level == 1
    assert f.action == (Audience("department", "区征迁办", "action"),)
    assert set(f.informed) == {Audience("department", UNIT, "informed"), Audience("department", LEAD, "informed"),
                               Audience("leader", LEADER, "informed")}
    assert f.evidence["delay_cause"] == "land_not_delivered"
    assert f.evidence["blocking_department"] == "区征迁办"
    assert f.evidence["paused_days"] == "174"
    assert "未按约定交付土地" in f.summary and "区征迁办" in f.summary


def test_ongoing_delay_on_idle_land_demotes_the_land_bureau_to_informed() -> None:
    delay = Delay(D("2026-04-01"), D("2026-09-30"), "force_majeure", "区应急管理局")
    f = only(evaluate_idle_land(facts(parcel(agreed_start_date="2025-03-01", delays=(delay,))), POLICY, D("2026-04-15")))
    assert f.level == 3  # idle already before the delay began
    assert f.action == (Audience("department", "区应急管理局", "action"),)
    assert Audience("department", "自然资源局", "informed") in f.informed


def test_a_closed_delay_only_pushes_the_dates() -> None:
    delay = Delay(D("2025-12-10"), D("2026-01-09"), "petitions", "区信访局")  # 31 days
    p = parcel(agreed_start_date="2025-03-01", delays=(delay,))
    assert level_of(p, "2026-04-01") == 2
    f = only(evaluate_idle_land(facts(p), POLICY, D("2026-04-02")))
    assert (f.level, f.evidence["idle_since"], f.evidence["paused_days"]) == (3, "2026-04-02", "31")
    assert "delay_cause" not in f.evidence
    assert f.action == (Audience("department", "自然资源局", "action"),)


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        pytest.param("2025-12-02", (
            Audience("department", UNIT, "action"), Audience("department", LEAD, "action"),
            Audience("leader", LEADER, "informed")), id="level-1-unit-and-lead-department"),
        pytest.param("2026-02-02", (
            Audience("leader", LEADER, "action"), Audience("department", "县重点项目调度会", "action"),
            Audience("department", LEAD, "informed")), id="level-2-leader-and-scheduling-meeting"),
        pytest.param("2026-03-02", (
            Audience("department", "自然资源局", "action"), Audience("leader", LEADER, "informed"),
            Audience("office", "县重点项目办", "informed")), id="level-3-land-bureau"),
        pytest.param("2027-03-02", (
            Audience("department", "自然资源局", "action"), Audience("leader", LEADER, "informed"),
            Audience("office", "县重点项目办", "informed")), id="level-4-land-bureau"),
    ],
)
def test_audience_per_level(as_of: str, expected: tuple[Audience, ...]) -> None:
    f = only(evaluate_idle_land(facts(parcel(agreed_start_date="2025-03-01")), POLICY, D(as_of)))
    assert f.audience == expected


def test_unknown_names_are_skipped_and_the_project_office_owns_an_ownerless_warning() -> None:
    f = only(evaluate_idle_land(facts(parcel(agreed_start_date="2025-03-01"), responsible_unit=None,
                                      lead_department=None, leader=None), POLICY, D("2025-12-02")))
    assert f.audience == (Audience("office", "县重点项目办", "action"),)


def test_unit_that_is_also_lead_department_is_asked_once() -> None:
    f = only(evaluate_idle_land(facts(parcel(agreed_start_date="2025-03-01"), responsible_unit=LEAD),
                                POLICY, D("2025-12-02")))
    assert f.audience == (Audience("department", LEAD, "action"), Audience("leader", LEADER, "informed"))


def test_idle_land_evidence_and_summary() -> None:
    p = parcel(agreed_start_date="2025-03-01", land_price_fen=123_456_789)
    f = only(evaluate_idle_land(facts(p), POLICY, D("2026-03-11")))
    assert (f.rule_id, f.rule_version, f.subject, f.occurrence) == ("R1.idle_land", 1, "parcel:P-017", "A:2025-03-01")
    assert f.level_name == "闲置土地(征收闲置费)"
    assert f.colour == "red"
    assert {k: v for k, v in f.evidence.items() if not k.startswith(("threshold.", "rule_", "colour"))} == {
        "type": "A", "base_date": "2025-03-01", "base_kind": "agreed_start", "level_months": "12",
        "period_end": "2026-03-01", "idle_period_end": "2026-03-01", "idle_since": "2026-03-02",
        "paused_days": "0", "days_elapsed": "375", "days_idle": "10",
        "land_price_fen": "123456789", "idle_fee_percent": "20", "idle_fee_fen": "24691358",
    }
    assert (f.evidence["colour"], f.evidence["rule_article"], f.evidence["threshold.idle_warning_months"]) == ("red", "第二、八、十四、三十条", "9,11")
    assert f.summary == "西溪数字产业园 地块P-017：自约定动工开发日期2025-03-01起满12个月未动工开发，闲置土地(征收闲置费)"


@pytest.mark.parametrize(
    ("price", "percent", "fee"),
    [
        pytest.param(5, "20", "1", id="exact"),
        pytest.param(12, "20", "2", id="2.4-rounds-down"),
        pytest.param(13, "20", "3", id="2.6-rounds-up"),
        pytest.param(5, "10", "1", id="0.5-rounds-half-up"),
        pytest.param(0, "20", "0", id="zero-price"),
    ],
)
def test_idle_fee_is_exact_integer_fen(price: int, percent: str, fee: str) -> None:
    policy = Policy(idle_fee_percent=Decimal(percent))
    f = only(evaluate_idle_land(facts(parcel(agreed_start_date="2025-03-01", land_price_fen=price)), policy,
                                D("2026-03-02")))
    assert f.evidence["idle_fee_fen"] == fee


def test_warnings_carry_no_fee_and_no_idle_date() -> None:
    f = only(evaluate_idle_land(facts(parcel(agreed_start_date="2025-03-01", land_price_fen=100)), POLICY,
                                D("2026-02-02")))
    assert f.level_name == "闲置预警(11个月)"
    assert not {"idle_since", "idle_fee_fen", "days_idle"} & set(f.evidence)


def test_first_seen_two_years_idle_gives_one_level_4_finding() -> None:
    found = evaluate_idle_land(facts(parcel(agreed_start_date="2023-01-10")), POLICY, D("2025-06-01"))
    assert [(f.level, f.level_name) for f in found] == [(4, "闲置两年(无偿收回)")]


@pytest.mark.parametrize(
    ("as_of", "level"),
    [
        pytest.param("2025-03-01", 2, id="deemed-year-last-day"),
        pytest.param("2025-03-02", 3, id="idle-two-years-after-handover"),
    ],
)
def test_no_agreed_date_deems_the_start_one_year_after_handover(as_of: str, level: int) -> None:
    f = only(evaluate_idle_land(facts(parcel(handover_date="2023-03-01")), POLICY, D(as_of)))
    assert f.level == level
    assert (f.evidence["base_kind"], f.evidence["base_date"], f.evidence["handover_date"]) == (
        "deemed_from_handover", "2024-03-01", "2023-03-01")
    assert f.occurrence == "A:2024-03-01"


def test_no_base_date_no_finding() -> None:
    assert evaluate_idle_land(facts(parcel()), POLICY, D("2030-01-01")) == []


def test_one_finding_per_parcel() -> None:
    found = evaluate_idle_land(facts(parcel(parcel_id="A1", agreed_start_date="2023-01-01"),
                                     parcel(parcel_id="A2", agreed_start_date="2025-01-01"),
                                     parcel(parcel_id="A3", agreed_start_date="2025-06-01")), POLICY, D("2025-11-01"))
    assert [(f.subject, f.level) for f in found] == [("parcel:A1", 4), ("parcel:A2", 1)]


def test_policy_months_are_settings() -> None:
    policy = Policy(idle_warning_months=(6, 10))
    f = only(evaluate_idle_land(facts(parcel(agreed_start_date="2025-03-01")), policy, D("2025-09-02")))
    assert (f.level, f.level_name) == (1, "闲置预警(6个月)")


STARTED = {"actual_start_date": "2024-01-01", "last_progress_date": "2024-06-30"}


@pytest.mark.parametrize(
    ("fields", "total", "as_of", "level", "stalled_by"),
    [
        pytest.param({"developed_area_m2": 100, "required_area_m2": 301}, None, "2025-06-30", 2, "developed_area",
                     id="area-under-third-last-day"),
        pytest.param({"developed_area_m2": 100, "required_area_m2": 301}, None, "2025-07-01", 3, "developed_area",
                     id="area-under-third-idle-next-day"),
        pytest.param({"developed_area_m2": 100, "required_area_m2": 300}, None, "2026-07-01", None, None,
                     id="area-exactly-third-not-stalled"),
        pytest.param({"investment_excl_land_fen": 2_499_999}, 10_000_000, "2025-07-01", 3, "investment",
                     id="investment-just-under-quarter"),
        pytest.param({"investment_excl_land_fen": 2_500_000}, 10_000_000, "2026-07-01", None, None,
                     id="investment-exactly-quarter-not-stalled"),
        pytest.param({"developed_area_m2": 300, "required_area_m2": 300, "investment_excl_land_fen": 1},
                     10_000_000, "2025-07-01", 3, "investment", id="either-criterion-suffices"),
        pytest.param({"developed_area_m2": 1, "required_area_m2": 300, "investment_excl_land_fen": 1},
                     10_000_000, "2026-07-01", 4, "developed_area,investment", id="both-criteria"),
        pytest.param({}, 10_000_000, "2030-01-01", None, None, id="nothing-to-judge-by"),
        pytest.param({"investment_excl_land_fen": 1}, None, "2030-01-01", None, None, id="no-total-investment"),
    ],
)
def test_type_b_stalled(fields: dict[str, int], total: int | None, as_of: str, level: int | None,
                        stalled_by: str | None) -> None:
    found = evaluate_idle_land(facts(parcel(**STARTED, **fields), total_investment_fen=total), POLICY, D(as_of))
    if level is None:
        assert found == []
        return
    f = only(found)
    assert (f.level, f.evidence["type"], f.evidence["stalled_by"]) == (level, "B", stalled_by)
    assert (f.occurrence, f.evidence["base_kind"]) == ("B:2024-06-30", "last_progress")
    assert "停工满" in f.summary


def test_type_b_without_progress_date_counts_from_the_start() -> None:
    p = parcel(actual_start_date="2024-01-01", developed_area_m2=0, required_area_m2=100)
    f = only(evaluate_idle_land(facts(p), POLICY, D("2025-01-02")))
    assert (f.level, f.occurrence, f.evidence["base_kind"]) == (3, "B:2024-01-01", "actual_start")


def test_resumed_progress_is_a_new_occurrence() -> None:
    before = parcel(**STARTED, developed_area_m2=0, required_area_m2=100)
    after = replace(before, last_progress_date=D("2025-08-01"))
    assert only(evaluate_idle_land(facts(before), POLICY, D("2025-07-01"))).occurrence == "B:2024-06-30"
    assert evaluate_idle_land(facts(after), POLICY, D("2025-09-01")) == []
    assert only(evaluate_idle_land(facts(after), POLICY, D("2026-05-02"))).occurrence == "B:2025-08-01"


def test_a_start_recorded_for_a_later_day_does_not_count_yet() -> None:
    p = parcel(agreed_start_date="2025-03-01", actual_start_date="2026-05-01")
    f = only(evaluate_idle_land(facts(p), POLICY, D("2026-03-02")))
    assert (f.evidence["type"], f.level) == ("A", 3)
    # once started and far enough along, it is no longer idle land
    assert evaluate_idle_land(facts(p), POLICY, D("2026-05-01")) == []
