"""R6 stale or missing data: a reporting project with no update for a month is grey, its own state, never green."""
from __future__ import annotations

from datetime import date

from services.escalation.domain import catalog
from services.escalation.domain.colour import is_stale
from services.escalation.domain.facts import ProjectFacts
from services.escalation.domain.findings import Audience, Finding, audience
from services.escalation.domain.periods import period_end
from services.escalation.domain.policy import Policy

RULE_ID = "R6.data_freshness"


def evaluate(facts: ProjectFacts, policy: Policy, as_of: date) -> list[Finding]:
    """Going stale is the clock's doing (the sweep finds it); any new record clears it."""
    if not is_stale(facts, policy, as_of):
        return []
    last = facts.last_reported_on
    evidence = {"stage": facts.stage or "", "last_reported_on": last.isoformat() if last else ""}
    if last is not None:
        evidence["fresh_until"] = period_end(last, policy.stale_after_months).isoformat()
        what = f"自{last.isoformat()}起满{policy.stale_after_months}个月无数据更新"
    else:
        what = "在建项目从未报送数据"
    members = audience([("department", facts.responsible_unit, "action"), ("office", policy.project_office, "informed")],
                       Audience("office", policy.project_office, "action"))
    name = "数据未更新(灰色)"
    return [catalog.finding(RULE_ID, policy, subject="data", occurrence=last.isoformat() if last else "never", level=1,
                            level_name=name, colour="grey", audience=members, evidence=evidence,
                            summary=f"{facts.display_name}：{what}，状态不明，{name}")]
