"""When each rule's verdict on a project can next change with the clock alone (its facts unchanged).

A rule's findings are a function of (facts, policy, day). Between changes of the facts, they move
only on certain days: a deadline passing, a warning date, a year end, the ledger's due day, a
pause ending. `next_due` names the earliest such day after `as_of` over every rule, or None when
no day ever changes anything; the sweep reads a project again only from that day. A day too early
costs one needless read; a day too late would miss a finding, so every bound here errs early
(tests/unit/escalation/test_due.py checks it against evaluating every day).
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, timedelta
from fractions import Fraction

from services.escalation.domain.colour import owes_reports
from services.escalation.domain.facts import ProjectFacts
from services.escalation.domain.findings import Finding
from services.escalation.domain.periods import paused_end, period_end
from services.escalation.domain.policy import Policy
from services.escalation.domain.rules import (
    budget_overrun,
    central_funds,
    data_freshness,
    evaluate_all,
    idle_land,
    investment_progress,
    plan_missed,
    timers,
)
from services.escalation.domain.rules import milestones as milestone_rules
from services.escalation.domain.starts import RULE_ID as STARTED_BUT_IDLE
from services.escalation.domain.starts import START_MILESTONE, approval_start_date
from services.escalation.domain.workdays import add_days

_DAY = timedelta(days=1)
Days = Iterator[date | None]  # candidate days; those not after as_of are dropped by the caller
DueRule = Callable[[ProjectFacts, Policy, date, Sequence[Finding]], Days]  # with the rule's own findings on as_of


def _first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _start_days(facts: ProjectFacts) -> Days:
    """What makes a project count as started (approval, statistics, land): each flips the day it happens."""
    started = facts.milestone(START_MILESTONE)
    yield started.actual if started else None
    yield facts.stats_start_date
    for parcel in facts.parcels:
        yield parcel.actual_start_date


def idle_land_days(facts: ProjectFacts, policy: Policy, as_of: date, found: Sequence[Finding]) -> Days:
    """Each parcel's next ladder step. An open pause pushes the real day later still, so this one is early."""
    for parcel in facts.parcels:
        yield parcel.actual_start_date
        for delay in parcel.delays:
            yield delay.start
            yield delay.end + _DAY if delay.end else None
        clock = idle_land._clock(facts, parcel, policy, as_of)
        if clock is None:
            continue
        pauses = tuple((d.start, d.end) for d in parcel.delays)
        for _, months, _ in idle_land._ladder(policy):
            yield paused_end(clock.base, months, pauses, as_of) + _DAY


def started_but_idle_days(facts: ProjectFacts, policy: Policy, as_of: date, found: Sequence[Finding]) -> Days:
    yield from _start_days(facts)
    yield from idle_land_days(facts, policy, as_of, found)


def central_funds_days(facts: ProjectFacts, policy: Policy, as_of: date, found: Sequence[Finding]) -> Days:
    yield from _start_days(facts)
    for batch in facts.central_funds:
        yield batch.issued_on + _DAY
        yield period_end(batch.issued_on, policy.central_start_yellow_months) + _DAY
        yield date(batch.issued_on.year + 1, 1, 1)
        if batch.paid_fen is None or batch.amount_fen <= 0:
            continue
        # Red from the first day k with k / window > paid share + threshold (the expected share grows daily, capped at 1).
        window = (period_end(batch.issued_on, policy.central_pay_window_months) - batch.issued_on).days
        bar = Fraction(batch.paid_fen, batch.amount_fen) + Fraction(policy.central_pay_red_points) / 100
        if bar < 1:
            yield batch.issued_on + timedelta(days=int(window * bar) + 1)


def milestone_days(facts: ProjectFacts, policy: Policy, as_of: date, found: Sequence[Finding]) -> Days:
    for m in facts.milestones:
        yield m.actual
        if m.planned is None:
            continue
        yield m.planned - timedelta(days=policy.milestone_warning_days)  # the reminder appears
        yield m.planned + _DAY  # overdue
        if policy.milestone_red_after_months:
            yield period_end(m.planned, policy.milestone_red_after_months) + _DAY


def ledger_days(facts: ProjectFacts, policy: Policy, as_of: date, found: Sequence[Finding]) -> Days:
    yield milestone_rules.next_ledger_change(facts, policy, as_of)


def investment_days(facts: ProjectFacts, policy: Policy, as_of: date, found: Sequence[Finding]) -> Days:
    """The graded month moves when a month with figures is complete; the year's grade ends with the year, which changes
    only a project graded behind now (else every project with a plan would be read on 1 January to find it unchanged)."""
    if not facts.has_annual_plan or not facts.ledger:
        return
    if any(f.subject == investment_progress.YEAR_TO_DATE for f in found):
        yield date(as_of.year + 1, 1, 1)
    current = f"{as_of.year:04d}-{as_of.month:02d}"
    for entry in facts.ledger:
        if entry.month >= current:
            year, month = int(entry.month[:4]), int(entry.month[5:])
            yield _first_of_next_month(date(year, month, 1))


def plan_days(facts: ProjectFacts, policy: Policy, as_of: date, found: Sequence[Finding]) -> Days:
    """A month is checked against its plan once it is over: the verdict moves on the 1st after each month not yet over."""
    current = f"{as_of.year:04d}-{as_of.month:02d}"
    for entry in facts.ledger:
        if entry.month >= current:
            year, month = int(entry.month[:4]), int(entry.month[5:])
            yield _first_of_next_month(date(year, month, 1))


def freshness_days(facts: ProjectFacts, policy: Policy, as_of: date, found: Sequence[Finding]) -> Days:
    if owes_reports(facts, policy) and facts.last_reported_on is not None:
        yield period_end(facts.last_reported_on, policy.stale_after_months) + _DAY


def approval_days(facts: ProjectFacts, policy: Policy, as_of: date, found: Sequence[Finding]) -> Days:
    approval = facts.approval
    if approval is None or approval.kind != "approved":
        return
    yield from _start_days(facts)
    end, _ = timers._approval_end(approval, policy)
    yield end + _DAY
    yield end - timers.relativedelta(months=policy.approval_warning_months) + _DAY


def sme_days(facts: ProjectFacts, policy: Policy, as_of: date, found: Sequence[Finding]) -> Days:
    for payment in facts.sme_payments:
        yield payment.paid_on
        days = min(payment.agreed_days or policy.sme_payment_days, timers.SME_MAX_DAYS_BY_LAW)
        due = add_days(payment.accepted_on, days).due
        yield due + _DAY
        yield due + timedelta(days=policy.sme_red_after_days + 1)


def stats_days(facts: ProjectFacts, policy: Policy, as_of: date, found: Sequence[Finding]) -> Days:
    yield facts.stats_enrolled_on
    yield from _start_days(facts)
    started = approval_start_date(facts, as_of)
    land = [p.actual_start_date for p in facts.parcels if p.actual_start_date is not None and p.actual_start_date <= as_of]
    start = started or (min(land) if land else None)
    if start is not None:
        for months in (policy.stats_enrolment_yellow_months, policy.stats_enrolment_red_months):
            yield period_end(start, months) + _DAY


DUE_RULES: dict[str, DueRule] = {
    idle_land.RULE_ID: idle_land_days,
    STARTED_BUT_IDLE: started_but_idle_days,
    budget_overrun.RULE_ID: lambda facts, policy, as_of, found: iter(()),  # amounts only: no day changes it
    central_funds.RULE_ID: central_funds_days,
    milestone_rules.MILESTONE_RULE: milestone_days,
    milestone_rules.LEDGER_RULE: ledger_days,
    investment_progress.RULE_ID: investment_days,
    plan_missed.RULE_ID: plan_days,
    data_freshness.RULE_ID: freshness_days,
    timers.APPROVAL_RULE: approval_days,
    timers.SME_RULE: sme_days,
    timers.STATS_RULE: stats_days,
}


def _tomorrow(facts: ProjectFacts, policy: Policy, as_of: date, found: Sequence[Finding]) -> Days:
    """A rule that names no days of its own is read every day: never late."""
    yield as_of + _DAY


def next_due(facts: ProjectFacts, policy: Policy, as_of: date, rule_ids: Iterable[str],
             findings: Sequence[Finding] | None = None) -> date | None:
    """The earliest day after `as_of` on which any of the rules' findings for this project can change. `findings` are
    the project's findings on `as_of` (evaluated here when not given): a rule whose periodic day changes only what it
    found today reads them rather than evaluating itself again."""
    found: dict[str, list[Finding]] = {}
    for finding in evaluate_all(facts, policy, as_of) if findings is None else findings:
        found.setdefault(finding.rule_id, []).append(finding)
    days = (day for rule_id in rule_ids for day in DUE_RULES.get(rule_id, _tomorrow)(facts, policy, as_of, found.get(rule_id, [])))
    return min((day for day in days if day is not None and day > as_of), default=None)
