"""R7 timers: 核准 lapsing unstarted (with its one extension), SME payments (Art. 203 holiday roll), 入统 after start."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from services.escalation.domain.facts import ApprovalFact, MilestoneFact, Parcel, ProjectFacts, SmePaymentFact
from services.escalation.domain.findings import Audience
from services.escalation.domain.policy import Policy
from services.escalation.domain.rules.timers import evaluate_approval, evaluate_sme_payments, evaluate_stats_enrolment

D = date.fromisoformat
POLICY = Policy(county_code="330106")
UNIT, LEAD, LEADER = "富春新材料公司", "区经信局", "周副区长"


def facts(**changes: Any) -> ProjectFacts:
    base = ProjectFacts(project_id="p-7", name="新材料产业园", county_code="330106", stage="signed", leader=LEADER,
                        lead_department=LEAD, responsible_unit=UNIT, total_investment_fen=20_000_000_00)
    return replace(base, **changes)


def approval(extended: str | None = None, kind: str = "approved") -> ApprovalFact:
    return ApprovalFact(kind=kind, approved_on=D("2024-03-15"), extended_until=D(extended) if extended else None)


def approval_grade(as_of: str, **changes: Any) -> tuple[int, str] | None:
    changes.setdefault("approval", approval())
    found = evaluate_approval(facts(**changes), POLICY, D(as_of))
    return (found[0].level, found[0].colour) if found else None


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        pytest.param("2025-12-15", None, id="before-the-3-month-warning"),
        pytest.param("2025-12-16", (1, "yellow"), id="warning-3-months-before"),
        pytest.param("2026-03-15", (1, "yellow"), id="last-day-of-the-2-years"),
        pytest.param("2026-03-16", (2, "red"), id="lapsed"),
    ],
)
def test_approval_lapses_two_years_after_if_not_started(as_of: str, expected: tuple[int, str] | None) -> None:
    assert approval_grade(as_of) == expected


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"stage": "started"}, id="started"),
        pytest.param({"milestones": (MilestoneFact(name="开工", actual=D("2026-01-10")),)}, id="milestone-done"),
        pytest.param({"approval": approval(kind="filed")}, id="filing-does-not-lapse"),
        pytest.param({"approval": None}, id="no-approval"),
    ],
)
def test_no_lapse(changes: dict[str, Any]) -> None:
    assert approval_grade("2026-03-16", **changes) is None


def test_one_extension_of_at_most_a_year_moves_the_end() -> None:
    extended = approval("2027-03-15")
    assert approval_grade("2026-03-16", approval=extended) is None
    assert approval_grade("2026-12-16", approval=extended) == (1, "yellow")
    assert approval_grade("2027-03-16", approval=extended) == (2, "red")
    [f] = evaluate_approval(facts(approval=extended), POLICY, D("2027-03-16"))
    assert (f.evidence["period_end"], f.evidence["extension_limit"], f.evidence["lapses_on"]) == ("2027-03-15", "2027-03-15", "2027-03-16")
    assert "extension_rejected" not in f.evidence


def test_an_extension_beyond_a_year_is_not_believed() -> None:
    [f] = evaluate_approval(facts(approval=approval("2027-03-16")), POLICY, D("2026-03-16"))
    assert (f.level, f.colour, f.evidence["period_end"], f.evidence["extended_until"]) == (2, "red", "2026-03-15", "2027-03-16")
    assert "不予采信" in f.evidence["extension_rejected"]


def test_lapse_goes_to_development_reform() -> None:
    [warning] = evaluate_approval(facts(approval=approval()), POLICY, D("2026-01-10"))
    assert warning.action == (Audience("department", UNIT, "action"),)
    [lapsed] = evaluate_approval(facts(approval=approval()), POLICY, D("2026-03-16"))
    assert lapsed.action == (Audience("department", "发改局", "action"),)
    assert (lapsed.rule_id, lapsed.evidence["rule_article"], lapsed.evidence["colour"]) == ("R7.approval_lapse", "第十二条", "red")


def payment(accepted: str, agreed: int | None = None, paid: str | None = None) -> SmePaymentFact:
    return SmePaymentFact(payment_id="INV-9", supplier="杭州小微机电", accepted_on=D(accepted), amount_fen=123_456_00,
                          agreed_days=agreed, paid_on=D(paid) if paid else None)


def sme_grade(as_of: str, p: SmePaymentFact, policy: Policy = POLICY) -> tuple[int, str] | None:
    found = evaluate_sme_payments(facts(sme_payments=(p,)), policy, D(as_of))
    return (found[0].level, found[0].colour) if found else None


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        # Accepted 2026-09-01: day 30 is 2026-10-01, National Day; the period ends on the first working day, 10-08.
        pytest.param("2026-10-07", None, id="holiday-not-yet-due"),
        pytest.param("2026-10-08", None, id="rolled-last-day"),
        pytest.param("2026-10-09", (1, "yellow"), id="day-after-the-rolled-due-date"),
        pytest.param("2026-10-23", (1, "yellow"), id="15-days-late"),
        pytest.param("2026-10-24", (2, "red"), id="over-15-days-late"),
    ],
)
def test_sme_payment_due_30_days_after_acceptance_rolled_off_the_holiday(as_of: str, expected: tuple[int, str] | None) -> None:
    assert sme_grade(as_of, payment("2026-09-01")) == expected


def test_sme_payment_evidence_and_audience() -> None:
    [f] = evaluate_sme_payments(facts(sme_payments=(payment("2026-09-01"),)), POLICY, D("2026-10-24"))
    assert (f.evidence["due"], f.evidence["due_provisional"], f.evidence["days_overdue"], f.evidence["red_from"]) == (
        "2026-10-08", "false", "16", "2026-10-24")
    assert f.action == (Audience("department", UNIT, "action"),)
    assert {a.name for a in f.informed} == {"工信局", "财政局", LEADER}
    assert (f.subject, f.occurrence, f.evidence["threshold.sme_payment_days"]) == ("sme_payment:INV-9", "2026-09-01", "30")
    assert "杭州小微机电" in f.summary and "12.35万元" in f.summary


@pytest.mark.parametrize(
    ("p", "as_of", "expected"),
    [
        pytest.param(payment("2026-03-01", agreed=60), "2026-04-30", None, id="agreed-60-days-last-day"),
        pytest.param(payment("2026-03-01", agreed=60), "2026-05-01", (1, "yellow"), id="agreed-60-days-day-after"),
        # Day 60 from 2026-03-02 is 2026-05-01, Labour Day (holidays to 05-05): due on 05-06.
        pytest.param(payment("2026-03-02", agreed=60), "2026-05-06", None, id="agreed-60-rolled-past-may-day"),
        pytest.param(payment("2026-03-02", agreed=60), "2026-05-07", (1, "yellow"), id="agreed-60-day-after-the-rolled-date"),
        pytest.param(payment("2026-03-02"), "2026-04-02", (1, "yellow"), id="no-agreed-term-30-days"),
        pytest.param(payment("2026-09-01", paid="2026-10-20"), "2026-10-24", None, id="paid-late-clears-it"),
        pytest.param(payment("2026-09-01", paid="2026-10-25"), "2026-10-24", (2, "red"), id="payment-dated-later-not-yet-paid"),
    ],
)
def test_sme_payment_terms(p: SmePaymentFact, as_of: str, expected: tuple[int, str] | None) -> None:
    assert sme_grade(as_of, p) == expected


def test_sme_due_date_in_2027_is_provisional() -> None:
    [f] = evaluate_sme_payments(facts(sme_payments=(payment("2026-12-20"),)), POLICY, D("2027-02-01"))
    assert (f.evidence["due"], f.evidence["due_provisional"]) == ("2027-01-19", "true")


def stats_grade(as_of: str, **changes: Any) -> tuple[int, str] | None:
    changes.setdefault("milestones", (MilestoneFact(name="开工", actual=D("2026-03-31")),))
    found = evaluate_stats_enrolment(facts(stage="started", **changes), POLICY, D(as_of))
    return (found[0].level, found[0].colour) if found else None


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        pytest.param("2026-04-30", None, id="last-day-of-the-month"),
        pytest.param("2026-05-01", (1, "yellow"), id="one-full-month"),
        pytest.param("2026-05-31", (1, "yellow"), id="last-day-of-two-months"),
        pytest.param("2026-06-01", (2, "red"), id="two-full-months"),
    ],
)
def test_stats_enrolment_after_start(as_of: str, expected: tuple[int, str] | None) -> None:
    assert stats_grade(as_of) == expected


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({"stats_enrolled_on": D("2026-04-20")}, None, id="enrolled"),
        pytest.param({"stats_enrolled_on": D("2026-06-02")}, (2, "red"), id="enrolled-later"),
        pytest.param({"total_investment_fen": 4_999_999_99}, None, id="under-500-wan"),
        pytest.param({"total_investment_fen": 5_000_000_00}, (2, "red"), id="exactly-500-wan"),
        pytest.param({"milestones": ()}, None, id="no-start-date"),
        pytest.param({"milestones": (), "parcels": (Parcel(parcel_id="L-1", actual_start_date=D("2026-03-31")),)}, (2, "red"),
                     id="land-start-date-counts"),
    ],
)
def test_stats_enrolment_conditions(changes: dict[str, Any], expected: tuple[int, str] | None) -> None:
    assert stats_grade("2026-06-01", **changes) == expected


def test_stats_enrolment_red_audience() -> None:
    [f] = evaluate_stats_enrolment(facts(stage="started", milestones=(MilestoneFact(name="开工", actual=D("2026-03-31")),)),
                                   POLICY, D("2026-06-01"))
    assert f.action == (Audience("department", UNIT, "action"), Audience("department", LEAD, "action"))
    assert Audience("department", "统计局", "informed") in f.informed
    assert (f.evidence["start_date"], f.evidence["start_kind"], f.evidence["period_end"]) == ("2026-03-31", "milestone", "2026-05-31")
