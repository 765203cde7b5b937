"""R4 L0-L1: milestones due soon or overdue (倒排工期), and the monthly ledger missing on its due day.

L2 and above (交办函, meetings, accountability) are the case ladder's, built on these findings.
"""
from __future__ import annotations

from datetime import date, timedelta

from services.escalation.domain import catalog
from services.escalation.domain.colour import owes_reports
from services.escalation.domain.facts import MilestoneFact, ProjectFacts
from services.escalation.domain.findings import Audience, AudienceKind, AudienceRole, Finding, audience
from services.escalation.domain.ledger_months import month_key, previous_month
from services.escalation.domain.periods import has_elapsed, period_end
from services.escalation.domain.policy import Policy
from services.escalation.domain.starts import START_MILESTONE
from services.escalation.domain.workdays import add_workdays

MILESTONE_RULE = "R4.milestone"
LEDGER_RULE = "R4.ledger_missing"
_DAY = timedelta(days=1)
UNANCHORED = "unanchored"  # the occurrence of a run with no start date and no earlier ledger to say when it began
LOOKAHEAD_MONTHS = 24  # how far next_ledger_change walks the due days: bounded whatever months a ledger names
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


def _newest_due_month(as_of: date, policy: Policy) -> str:
    """The newest month whose ledger is due by `as_of`: last month's from its due day, the month before's until then."""
    months = as_of.year * 12 + as_of.month - (2 if as_of.day >= policy.ledger_due_day else 3)  # counted from January of year 0
    return month_key(months // 12, months % 12 + 1)


def _start_month(facts: ProjectFacts) -> str | None:
    started = facts.milestone(START_MILESTONE)
    return month_key(started.actual.year, started.actual.month) if started is not None and started.actual is not None else None


def _missing_since(facts: ProjectFacts, policy: Policy, as_of: date) -> str | None:
    """The first of the unbroken run of missing ledgers that ends with the newest due month, or None if that one is in.

    One finding stands for the run, so its case climbs until the ledgers come in: naming only the newest due month
    cleared the case on the 1st of every month ("条件已消除") with the ledger still missing, and opened a new one at L1
    on the due day. The run stops at the newest reported month and at the start month (a month before construction
    owes nothing). With neither known, nothing says since when a ledger is owed: the run is UNANCHORED, one finding that
    stands until a ledger or a start date comes in (naming the newest due month would clear it every month)."""
    return _run_start(_newest_due_month(as_of, policy), _start_month(facts), {entry.month for entry in facts.ledger})


def _run_start(newest: str, start_month: str | None, reported: set[str]) -> str | None:
    """_missing_since for the newest due month, the start month and the reported months."""
    if newest in reported or (start_month is not None and start_month > newest):
        return None
    if start_month is None and not any(m < newest for m in reported):
        return UNANCHORED
    first = newest
    while (before := previous_month(first)) not in reported and (start_month is None or before >= start_month):
        first = before
    return first


def next_ledger_change(facts: ProjectFacts, policy: Policy, as_of: date) -> date | None:
    """The first due day after `as_of` on which the finding changes with the clock alone, else None. A missing run only
    grows, so most due days change nothing: on the 5th the sweep reads only the projects whose finding moves."""
    if not owes_reports(facts, policy):
        return None
    start_month, reported = _start_month(facts), {entry.month for entry in facts.ledger}
    now = _run_start(_newest_due_month(as_of, policy), start_month, reported)
    latest_known = max([*reported, start_month] if start_month else reported, default=None)
    day = as_of.replace(day=policy.ledger_due_day)
    for _ in range(LOOKAHEAD_MONTHS + 1):
        if day > as_of:
            newest = _newest_due_month(day, policy)
            if _run_start(newest, start_month, reported) != now:
                return day
            if latest_known is None or newest > latest_known:  # past every known month: the run only grows
                return None
        day = date(day.year + day.month // 12, day.month % 12 + 1, policy.ledger_due_day)
    return day  # ledger months far ahead (a typo of a year): read again then, early rather than never


def evaluate_ledger(facts: ProjectFacts, policy: Policy, as_of: date) -> list[Finding]:
    """L0 (grey: missing data) from the due day of month M when a reporting project has no ledger for M-1, standing until
    the ledgers of the run come in (_missing_since)."""
    if not owes_reports(facts, policy):
        return []
    since = _missing_since(facts, policy, as_of)
    if since is None:
        return []
    month = _newest_due_month(as_of, policy) if since == UNANCHORED else since
    year, number = int(month[:4]), int(month[5:])
    due = date(year + number // 12, number % 12 + 1, policy.ledger_due_day)  # the month after's due day
    name = "月度台账缺报"
    members = audience([("department", facts.responsible_unit, "action"), ("department", facts.lead_department, "informed")],
                       Audience("office", policy.project_office, "action"))
    before = "，此前亦无台账、无实际开工日期" if since == UNANCHORED else ""
    return [catalog.finding(LEDGER_RULE, policy, subject="ledger", occurrence=since, level=1, level_name=name, colour="grey",
                            audience=members, evidence={"ledger_month": month, "due_on": due.isoformat()},
                            summary=f"{facts.display_name}：{month}月度台账应于{due.isoformat()}前报送，至今未报{before}，{name}")]
