"""R4 L0-L1: milestones due soon or overdue (倒排工期), and the monthly ledger missing on its due day.

L2 and above (交办函, meetings, accountability) are the case ladder's, built on these findings.
"""
from __future__ import annotations

from datetime import date, timedelta

from services.escalation.domain import catalog
from services.escalation.domain.colour import owes_reports
from services.escalation.domain.facts import MilestoneFact, ProjectFacts
from services.escalation.domain.findings import Audience, AudienceKind, AudienceRole, Finding, audience
from services.escalation.domain.periods import has_elapsed, period_end
from services.escalation.domain.policy import Policy
from services.escalation.domain.starts import START_MILESTONE
from services.escalation.domain.workdays import add_workdays

MILESTONE_RULE = "R4.milestone"
LEDGER_RULE = "R4.ledger_missing"
_DAY = timedelta(days=1)
Member = tuple[AudienceKind, str | None, AudienceRole]


def _members(level: int, facts: ProjectFacts, milestone: MilestoneFact) -> list[Member]:
    if level == 1:
        members: list[Member] = [("department", facts.responsible_unit, "action"), ("department", facts.lead_department, "informed")]
    else:
        members = [("department", facts.lead_department, "action"), ("department", facts.responsible_unit, "informed"),
                   ("leader", facts.leader, "informed")]
    if milestone.blocking_department:
        # The red goes to whoever blocks: the approving or land-clearing department acts, not the investor.
        members = [("department", milestone.blocking_department, "action"), *((k, n, "informed") for k, n, _ in members)]
    return members


def _milestone(facts: ProjectFacts, m: MilestoneFact, policy: Policy, as_of: date) -> Finding | None:
    done = m.actual is not None and m.actual <= as_of  # an actual date still ahead has not happened yet
    if m.planned is None or done or m.planned > as_of + timedelta(days=policy.milestone_warning_days):
        return None
    evidence = {"milestone": m.name, "planned": m.planned.isoformat(), "days_to_due": str((m.planned - as_of).days)}
    if m.baseline is not None and m.baseline != m.planned:
        evidence["baseline"] = m.baseline.isoformat()  # a moved plan stays visible
    if m.blocking_department:
        evidence["blocking_department"] = m.blocking_department
    if m.planned >= as_of:
        level, colour, name = 1, "green", f"节点临期预警({policy.milestone_warning_days}日内到期)"
        what = f"节点“{m.name}”计划{m.planned.isoformat()}完成，尚未完成"
    else:
        due = add_workdays(m.planned + _DAY, policy.milestone_explanation_workdays)
        evidence |= {"overdue_since": (m.planned + _DAY).isoformat(), "days_overdue": str((as_of - m.planned).days),
                     "explanation_due": due.due.isoformat(), "explanation_due_provisional": str(due.provisional).lower()}
        red_after = policy.milestone_red_after_months
        if red_after and has_elapsed(m.planned, red_after, (), as_of):
            level, colour, name = 3, "red", f"节点逾期满{red_after}个月"
            evidence["red_from"] = (period_end(m.planned, red_after) + _DAY).isoformat()
        else:
            level, colour, name = 2, "yellow", "节点逾期(限期说明整改)"
        # One deadline per step: the case this finding opens (the same day) gives the date to sign and to reply by; the
        # rule states the fact, and its own explanation date (counted from the overdue day, often past when data come
        # late) stays in the evidence as a fact, never as an instruction.
        what = (f"节点“{m.name}”应于{m.planned.isoformat()}完成（已逾期{(as_of - m.planned).days}天），"
                f"须报送情况说明和整改措施（期限以督办单为准）")
    if m.blocking_department:
        what += f"；由{m.blocking_department}办理"
    return catalog.finding(MILESTONE_RULE, policy, subject=f"milestone:{m.name}", occurrence=m.planned.isoformat(), level=level,
                           level_name=name, colour=colour,
                           audience=audience(_members(level, facts, m), Audience("office", policy.project_office, "action")),
                           evidence=evidence, summary=f"{facts.display_name}：{what}，{name}")


def evaluate_milestones(facts: ProjectFacts, policy: Policy, as_of: date) -> list[Finding]:
    """L0 (green reminder) when due within the warning days; L1 (yellow) once overdue; red after N months if the county says so."""
    found = (_milestone(facts, m, policy, as_of) for m in facts.milestones)
    return [f for f in found if f is not None]


def _previous_month(day: date) -> str:
    last = day.replace(day=1) - _DAY
    return f"{last.year:04d}-{last.month:02d}"


def evaluate_ledger(facts: ProjectFacts, policy: Policy, as_of: date) -> list[Finding]:
    """L0 (grey: missing data) from the due day of month M when a reporting project has no ledger for M-1."""
    if as_of.day < policy.ledger_due_day or not owes_reports(facts, policy):
        return []
    month = _previous_month(as_of)
    if any(entry.month == month for entry in facts.ledger):
        return []
    started = facts.milestone(START_MILESTONE)
    if started is not None and started.actual is not None and f"{started.actual:%Y-%m}" > month:
        return []  # started after that month: there was nothing to report for it
    due = as_of.replace(day=policy.ledger_due_day)
    name = "月度台账缺报"
    members = audience([("department", facts.responsible_unit, "action"), ("department", facts.lead_department, "informed")],
                       Audience("office", policy.project_office, "action"))
    return [catalog.finding(LEDGER_RULE, policy, subject="ledger", occurrence=month, level=1, level_name=name, colour="grey",
                            audience=members, evidence={"ledger_month": month, "due_on": due.isoformat()},
                            summary=f"{facts.display_name}：{month}月度台账应于{due.isoformat()}前报送，至今未报，{name}")]
