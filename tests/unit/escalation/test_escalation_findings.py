"""Findings are immutable records; evaluate_all runs every registered rule."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.escalation.domain.facts import Parcel, ProjectFacts
from services.escalation.domain.findings import Audience, Finding
from services.escalation.domain.policy import Policy
from services.escalation.domain.rules import RULES, evaluate_all


def test_evidence_cannot_be_changed_after_the_fact() -> None:
    source = {"type": "A"}
    f = Finding("R1.idle_land", 1, "parcel:1", "A:2025-03-01", 1, "L1", (Audience("leader", "王", "action"),),
                source, "摘要")
    source["type"] = "B"
    assert f.evidence["type"] == "A"
    with pytest.raises(TypeError):
        f.evidence["type"] = "B"  # type: ignore[index]
    assert hash(f) == hash(Finding("R1.idle_land", 1, "parcel:1", "A:2025-03-01", 1, "L1",
                                   (Audience("leader", "王", "action"),), {"type": "A"}, "摘要"))


def test_a_finding_has_a_level() -> None:
    with pytest.raises(ValueError):
        Finding("R1.idle_land", 1, "parcel:1", "A", 0, "L0", (), {}, "")


def test_registry_lists_each_rule_with_its_version() -> None:
    assert [(r.rule_id, r.version) for r in RULES] == [
        ("R1.idle_land", 1), ("R1.started_but_idle", 1), ("R2.budget_overrun", 1), ("R3.central_funds", 1),
        ("R4.milestone", 1), ("R4.ledger_missing", 2), ("R5.investment_progress", 3), ("R5.plan_missed", 1), ("R6.data_freshness", 1),
        ("R7.approval_lapse", 1), ("R7.sme_payment", 1), ("R7.stats_enrolment", 1)]
    # R4.ledger_missing 2: a missing run stands; R5.investment_progress 2: the recent window is one episode across years,
    # 3: each year against its own annual plan


def test_evaluate_all_reports_every_rule() -> None:
    facts = ProjectFacts(
        project_id="p-3", name="义乌国际商贸城五区扩建", project_code=None, county_code="330782",
        government_funded=True, leader="张副市长", lead_department="市商务局", responsible_unit="市场集团",
        total_investment_fen=None, budget_fen=10_000_000, budget_adjustment_fen=None, committed_cost_fen=11_600_000,
        spent_cost_fen=None, overrun_approved=False,
        parcels=(Parcel(parcel_id="YW-09", agreed_start_date=date(2024, 5, 1)),),
    )
    found = evaluate_all(facts, Policy(county_code="330782", overrun_case_percent=Decimal("15")),
                         date(2025, 5, 2))
    assert [(f.rule_id, f.subject, f.level) for f in found] == [
        ("R1.idle_land", "parcel:YW-09", 3), ("R2.budget_overrun", "budget", 2)]
    assert all(f.summary.startswith("义乌国际商贸城五区扩建") for f in found)
