"""R2 budget overrun: exact 20% boundary, approvals, adjustments, audiences, evidence."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from services.escalation.domain.facts import ProjectFacts
from services.escalation.domain.findings import Audience
from services.escalation.domain.policy import Policy
from services.escalation.domain.rules.budget_overrun import evaluate_budget_overrun

AS_OF = date(2025, 9, 1)
POLICY = Policy(county_code="330106")
LEADER, LEAD = "李副县长", "县交通运输局"


def facts(**changes: Any) -> ProjectFacts:
    base = ProjectFacts(project_id="p-2", name="城西快速路改造工程", project_code=None, county_code="330106",
                        government_funded=True, leader=LEADER, lead_department=LEAD, responsible_unit="县交投集团",
                        total_investment_fen=None, budget_fen=1_000_000, budget_adjustment_fen=None,
                        committed_cost_fen=None, spent_cost_fen=None, overrun_approved=False, parcels=())
    return replace(base, **changes)


def level_and_percent(policy: Policy = POLICY, **changes: Any) -> tuple[int, str] | None:
    found = evaluate_budget_overrun(facts(**changes), policy, AS_OF)
    assert len(found) <= 1
    return (found[0].level, found[0].evidence["overrun_percent"]) if found else None


@pytest.mark.parametrize(
    ("committed", "expected"),
    [
        pytest.param(1_000_000, None, id="at-budget-no-overrun"),
        pytest.param(1_000_001, (1, "0.0001"), id="one-fen-over-is-not-0.00"),
        pytest.param(1_000_049, (1, "0.005"), id="0.0049pct-is-not-0.00"),
        pytest.param(1_000_050, (1, "0.01"), id="0.005pct-rounds-half-up"),
        pytest.param(1_199_900, (1, "19.99"), id="19.99pct"),
        pytest.param(1_200_000, (1, "20.00"), id="exactly-20pct-is-not-over"),
        pytest.param(1_200_001, (2, "20.0001"), id="20.0001pct-is-over-and-reads-so"),
        pytest.param(1_200_100, (2, "20.01"), id="20.01pct"),
    ],
)
def test_overrun_threshold_is_exact(committed: int, expected: tuple[int, str] | None) -> None:
    assert level_and_percent(committed_cost_fen=committed) == expected


def test_at_least_policy_makes_exactly_20pct_a_case() -> None:
    policy = Policy(overrun_strictly_greater=False)
    assert level_and_percent(policy, committed_cost_fen=1_200_000) == (2, "20.00")
    assert level_and_percent(policy, committed_cost_fen=1_199_999) == (1, "19.9999")


@pytest.mark.parametrize(
    ("committed", "level"),
    [pytest.param(1_150_000, 1, id="15pct-not-over"), pytest.param(1_150_100, 2, id="15.01pct-over")],
)
def test_county_threshold_15pct(committed: int, level: int) -> None:
    found = evaluate_budget_overrun(facts(committed_cost_fen=committed), Policy(overrun_case_percent=Decimal("15")),
                                    AS_OF)
    assert found[0].level == level
    assert found[0].evidence["threshold_percent"] == "15"


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"committed_cost_fen": 2_000_000, "overrun_approved": True}, id="approved-adjustment-clears"),
        pytest.param({"committed_cost_fen": 2_000_000, "government_funded": False}, id="not-government-funded"),
        pytest.param({"committed_cost_fen": 2_000_000, "government_funded": None}, id="funding-unknown"),
        pytest.param({"committed_cost_fen": 2_000_000, "budget_fen": None}, id="no-budget"),
        pytest.param({}, id="no-cost-figures"),
        pytest.param({"committed_cost_fen": 900_000, "spent_cost_fen": 800_000}, id="under-budget"),
    ],
)
def test_no_finding(changes: dict[str, Any]) -> None:
    assert evaluate_budget_overrun(facts(**changes), POLICY, AS_OF) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param({"spent_cost_fen": 1_300_000}, (2, "30.00"), id="spent-only"),
        pytest.param({"committed_cost_fen": 1_050_000, "spent_cost_fen": 900_000}, (1, "5.00"), id="committed-larger"),
        pytest.param({"committed_cost_fen": 1_050_000, "spent_cost_fen": 1_250_000}, (2, "25.00"), id="spent-larger"),
        pytest.param({"committed_cost_fen": 1_250_000}, (2, "25.00"), id="without-adjustment-25pct"),
        pytest.param({"committed_cost_fen": 1_250_000, "budget_adjustment_fen": 100_000}, (1, "13.64"),
                     id="adjustment-raises-the-base"),
        pytest.param({"committed_cost_fen": 1_250_000, "budget_adjustment_fen": 250_000}, None,
                     id="adjustment-covers-it"),
    ],
)
def test_overrun_is_the_larger_cost_against_budget_plus_adjustments(changes: dict[str, Any],
                                                                    expected: tuple[int, str] | None) -> None:
    assert level_and_percent(**changes) == expected


def test_level_1_report_and_hold_goes_to_lead_department_and_leader() -> None:
    [f] = evaluate_budget_overrun(facts(committed_cost_fen=1_100_000, spent_cost_fen=1_050_000), POLICY, AS_OF)
    assert (f.rule_id, f.rule_version, f.subject, f.occurrence) == ("R2.budget_overrun", 1, "budget", "1")
    assert f.level_name == "超概算未批(报告并暂停施工)"
    assert f.audience == (Audience("department", LEAD, "action"), Audience("leader", LEADER, "action"))
    assert dict(f.evidence) == {
        "base_kind": "预算", "budget_fen": "1000000", "budget_adjustment_fen": "0", "base_fen": "1000000",
        "committed_cost_fen": "1100000", "spent_cost_fen": "1050000", "overrun_fen": "100000",
        "overrun_percent": "10.00", "threshold_percent": "20", "threshold_rule": "greater_than",
        "threshold.overrun_base": "预算", "threshold.overrun_case_percent": "20", "threshold.overrun_strictly_greater": "True",
        "colour": "yellow", "rule_source": "政府投资条例", "rule_article": "第十二、二十三、三十四条",
    }
    assert f.colour == "yellow"
    assert f.summary == "城西快速路改造工程：政府投资项目成本超出批准预算1,000.00元，10.00%，且未获调整批准，超概算未批(报告并暂停施工)"


def test_level_2_case_goes_to_discipline_commission_and_audit() -> None:
    [f] = evaluate_budget_overrun(facts(committed_cost_fen=1_300_000), POLICY, AS_OF)
    assert f.level_name == "超概算20%以上未批(移送纪检监察)"
    assert f.audience == (
        Audience("department", "县纪委监委", "action"), Audience("department", "审计局", "action"),
        Audience("department", "财政局", "informed"), Audience("department", LEAD, "informed"),
        Audience("leader", LEADER, "informed"),
    )
    assert f.evidence["committed_cost_fen"] == "1300000" and f.evidence["spent_cost_fen"] == ""
    assert (f.colour, f.evidence["colour"]) == ("red", "red")


def test_zero_base_overrun_is_a_case_without_a_percentage() -> None:
    [f] = evaluate_budget_overrun(facts(budget_fen=0, spent_cost_fen=1), POLICY, AS_OF)
    assert (f.level, f.evidence["overrun_percent"]) == (2, "")


def test_level_1_without_known_owners_goes_to_the_project_office() -> None:
    [f] = evaluate_budget_overrun(facts(committed_cost_fen=1_100_000, leader=None, lead_department=None), POLICY, AS_OF)
    assert f.audience == (Audience("office", "县重点项目办", "action"),)


@pytest.mark.parametrize(
    ("budget", "committed", "summary_part"),
    [
        pytest.param(10_000_000_00, 12_000_000_01, "超出批准预算200.000001万元，20.0000001%，", id="a-fen-over-20pct"),
        pytest.param(10_000_000_00, 10_000_000_01, "超出批准预算0.01元，0.0000001%，", id="a-fen-over-is-a-fen-over"),
        pytest.param(10_000_000_00, 11_999_999_99, "超出批准预算199.999999万元，19.9999999%，", id="a-fen-under-20pct"),
    ],
)
def test_the_summary_never_rounds_across_the_threshold(budget: int, committed: int, summary_part: str) -> None:
    [found] = evaluate_budget_overrun(facts(budget_fen=budget, committed_cost_fen=committed), POLICY, AS_OF)
    assert summary_part in found.summary
