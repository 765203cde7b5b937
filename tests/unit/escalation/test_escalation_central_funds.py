"""R3 central-budget funds: yellow N months after issue, red from 1 January of the next year, red when payment lags."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from services.escalation.domain.facts import CentralFundBatch, MilestoneFact, ProjectFacts
from services.escalation.domain.findings import Audience
from services.escalation.domain.policy import Policy
from services.escalation.domain.rules.central_funds import evaluate

D = date.fromisoformat
POLICY = Policy(county_code="330106")


def facts(*batches: CentralFundBatch, **changes: Any) -> ProjectFacts:
    base = ProjectFacts(project_id="p-3", name="城北污水处理厂", county_code="330106", stage="signed", leader="李副县长",
                        lead_department="住建局", responsible_unit="城投公司", central_funds=batches)
    return replace(base, **changes)


def batch(issued: str, amount: int = 10_000_000_00, paid: int | None = None) -> CentralFundBatch:
    return CentralFundBatch(batch_id="2026-01", issued_on=D(issued), amount_fen=amount, paid_fen=paid)


def start_grade(as_of: str, issued: str = "2026-03-15", policy: Policy = POLICY, **changes: Any) -> tuple[int, str] | None:
    found = [f for f in evaluate(facts(batch(issued), **changes), policy, D(as_of)) if f.subject.startswith("central_fund:")]
    return (found[0].level, found[0].colour) if found else None


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        pytest.param("2026-06-15", None, id="last-day-of-the-3-months"),
        pytest.param("2026-06-16", (1, "yellow"), id="day-after-3-full-months"),
        pytest.param("2026-12-31", (1, "yellow"), id="last-day-of-the-year"),
        pytest.param("2027-01-01", (2, "red"), id="not-started-in-the-year-of-issue"),
    ],
)
def test_not_started_after_issue(as_of: str, expected: tuple[int, str] | None) -> None:
    assert start_grade(as_of) == expected


def test_issued_late_in_the_year_is_red_on_1_january_before_the_yellow_months_run_out() -> None:
    assert start_grade("2026-12-31", issued="2026-11-20") is None
    assert start_grade("2027-01-01", issued="2026-11-20") == (2, "red")


def test_the_yellow_months_are_a_county_setting() -> None:
    policy = Policy(central_start_yellow_months=2)
    assert (start_grade("2026-05-15", policy=policy), start_grade("2026-05-16", policy=policy)) == (None, (1, "yellow"))


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"stage": "started"}, id="stage-started"),
        pytest.param({"stage": "completed"}, id="stage-past-started"),
        pytest.param({"milestones": (MilestoneFact(name="开工", planned=D("2026-04-01"), actual=D("2026-06-01")),)}, id="milestone-done"),
        pytest.param({"stats_start_date": D("2026-06-10")}, id="statistics-start"),
    ],
)
def test_a_start_of_any_of_the_counted_kinds_clears_it(changes: dict[str, Any]) -> None:
    assert start_grade("2027-01-01", **changes) is None


def test_a_start_recorded_for_a_later_day_has_not_happened_yet() -> None:
    later = {"milestones": (MilestoneFact(name="开工", actual=D("2026-07-01")),), "stats_start_date": D("2026-07-01")}
    assert start_grade("2026-06-16", **later) == (1, "yellow")
    assert start_grade("2026-07-01", **later) is None


def test_cancelled_is_not_a_start() -> None:
    assert start_grade("2027-01-01", stage="cancelled") == (2, "red")


def test_red_goes_to_development_reform_and_finance_with_the_evidence() -> None:
    [f] = evaluate(facts(batch("2026-03-15")), POLICY, D("2027-01-01"))
    assert (f.rule_id, f.rule_version, f.subject, f.occurrence) == ("R3.central_funds", 1, "central_fund:2026-01", "2026-03-15")
    assert f.action == (Audience("department", "发改局", "action"), Audience("department", "财政局", "action"))
    assert {a.name for a in f.informed} == {"住建局", "城投公司", "李副县长"}
    assert (f.evidence["start_deadline"], f.evidence["yellow_period_end"]) == ("2026-12-31", "2026-06-15")
    assert (f.evidence["colour"], f.evidence["threshold.central_start_yellow_months"]) == ("red", "3")
    assert f.evidence["rule_source"].startswith("县重点项目推进会讲话") and f.evidence["rule_article"]
    assert "调整收回风险" in f.summary and f.summary.startswith("城北污水处理厂")


# 2026-01-01 + 12 months: 365 days. With 3650 fen, 182 days in, 序时 is 1820 fen; 30 points behind is 725 paid.
@pytest.mark.parametrize(
    ("paid", "as_of", "red"),
    [
        pytest.param(725, "2026-07-02", False, id="exactly-30-points-behind"),
        pytest.param(724, "2026-07-02", True, id="just-over-30-points-behind"),
        pytest.param(724, "2026-07-01", False, id="the-day-before-it-is-exactly-30"),
        pytest.param(2554, "2027-06-01", True, id="after-the-window-100-percent-is-due"),
        pytest.param(2555, "2027-06-01", False, id="after-the-window-exactly-70-percent-paid"),
        pytest.param(None, "2026-12-31", False, id="payment-unknown"),
    ],
)
def test_payment_far_behind_the_time_proportional_share_is_red(paid: int | None, as_of: str, red: bool) -> None:
    found = [f for f in evaluate(facts(batch("2026-01-01", 3650, paid), stage="started"), POLICY, D(as_of))
             if f.subject == "central_fund_payment:2026-01"]
    assert bool(found) == red
    if found:
        assert (found[0].colour, found[0].level, found[0].evidence["threshold.central_pay_red_points"]) == ("red", 1, "30")


def test_payment_evidence_in_points() -> None:
    [f] = evaluate(facts(batch("2026-01-01", 3650, 724), stage="started"), POLICY, D("2026-07-02"))
    assert (f.evidence["expected_percent"], f.evidence["paid_percent"], f.evidence["behind_points"]) == ("49.86", "19.84", "30.03")
    assert f.evidence["pay_window_end"] == "2027-01-01"


def test_the_payment_threshold_is_a_county_setting() -> None:
    found = evaluate(facts(batch("2026-01-01", 3650, 725), stage="started"), Policy(central_pay_red_points=Decimal("29.99")), D("2026-07-02"))
    assert [f.subject for f in found] == ["central_fund_payment:2026-01"]
