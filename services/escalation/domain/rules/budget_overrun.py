"""R2 budget overrun on government-funded projects (政府投资条例 Art. 12, 23, 34; speech 002)."""
from __future__ import annotations

from datetime import date
from fractions import Fraction

from services.escalation.domain import catalog
from services.escalation.domain.facts import ProjectFacts
from services.escalation.domain.figures import percent_beside
from services.escalation.domain.findings import Audience, Finding, audience
from services.escalation.domain.policy import Policy
from shared.wording import money

RULE_ID = "R2.budget_overrun"
RULE_VERSION = catalog.SPECS[RULE_ID].version
SUBJECT = "budget"
# The condition has no dated episode of its own; the ladder closes it when the overrun is cleared.
OCCURRENCE = "1"


def _over_case_threshold(overrun: int, base: int, policy: Policy) -> bool:
    # overrun / base > percent / 100, cross-multiplied so the comparison stays exact.
    lhs, rhs = Fraction(overrun * 100), Fraction(policy.overrun_case_percent) * base
    return lhs > rhs if policy.overrun_strictly_greater else lhs >= rhs


def evaluate_budget_overrun(facts: ProjectFacts, policy: Policy, as_of: date) -> list[Finding]:
    """A finding when committed or spent cost exceeds the approved budget plus adjustments, unapproved."""
    del as_of  # the rule reads amounts only; the date is part of every rule's signature
    if facts.government_funded is not True or facts.budget_fen is None:
        return []
    costs = [c for c in (facts.committed_cost_fen, facts.spent_cost_fen) if c is not None]
    if not costs or facts.overrun_approved:
        return []
    base = facts.budget_fen + (facts.budget_adjustment_fen or 0)
    cost = max(costs)
    overrun = cost - base
    if overrun <= 0:
        return []
    evidence: dict[str, str] = {
        "base_kind": policy.overrun_base,
        "budget_fen": str(facts.budget_fen),
        "budget_adjustment_fen": str(facts.budget_adjustment_fen or 0),
        "base_fen": str(base),
        "committed_cost_fen": "" if facts.committed_cost_fen is None else str(facts.committed_cost_fen),
        "spent_cost_fen": "" if facts.spent_cost_fen is None else str(facts.spent_cost_fen),
        "overrun_fen": str(overrun),
        # A zero base makes any overrun unbounded; there is no percentage to print.
        "overrun_percent": percent_beside(Fraction(overrun, base), Fraction(policy.overrun_case_percent)) if base > 0 else "",
        "threshold_percent": str(policy.overrun_case_percent),
        "threshold_rule": "greater_than" if policy.overrun_strictly_greater else "at_least",
    }
    fallback = Audience("office", policy.project_office, "action")
    if _over_case_threshold(overrun, base, policy):
        level, level_name = 2, f"超概算{policy.overrun_case_percent}%以上未批(移送纪检监察)"
        members = audience([
            ("department", policy.discipline_commission, "action"),
            ("department", policy.audit_office, "action"),
            ("department", policy.finance_bureau, "informed"),
            ("department", facts.lead_department, "informed"),
            ("leader", facts.leader, "informed"),
        ], fallback)
    else:
        level, level_name = 1, "超概算未批(报告并暂停施工)"
        members = audience([
            ("department", facts.lead_department, "action"),
            ("leader", facts.leader, "action"),
        ], fallback)
    percent = evidence["overrun_percent"]
    share = f"，{percent}%" if percent else ""
    summary = (f"{facts.display_name}：政府投资项目成本超出批准{policy.overrun_base}{money(overrun, exact=True)}{share}"
               f"，且未获调整批准，{level_name}")
    return [catalog.finding(RULE_ID, policy, subject=SUBJECT, occurrence=OCCURRENCE, level=level, level_name=level_name,
                            colour="yellow" if level == 1 else "red", audience=members, evidence=evidence, summary=summary)]
