"""R5 investment behind the time-proportional plan (欠序时进度), graded for the year to date and the recent months.

Cumulative figures hide recent slippage, so both are graded, each its own finding. Points behind:
- year to date: (序时 plan − done) / annual plan, the bulletins' "完成率落后序时进度 N 个百分点";
- recent window (3 months): (window plan − done in the window) / window plan.
序时 plan = the ledger's monthly plan curve when every month has a plan figure, else annual × months / 12, each month
against its own year's annual plan (a plan reported for 2026 is not 2027's).
Bands (银川): yellow from 10 points behind, inclusive; red strictly over 30.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from fractions import Fraction

from services.escalation.domain import catalog
from services.escalation.domain.facts import LedgerEntry, ProjectFacts
from services.escalation.domain.figures import points
from services.escalation.domain.findings import Audience, Finding, audience
from services.escalation.domain.ledger_months import done_in, last_complete_month, month_key, months_back
from services.escalation.domain.policy import Policy
from shared.wording import money

RULE_ID = "R5.investment_progress"
YEAR_TO_DATE = "investment:ytd"
# The recent window slides across years: one episode stands while it is behind, so a slip that runs from December into
# January keeps its case and its ladder (named by the graded month's year, it was "cleared" and opened anew each February).
WINDOW_OCCURRENCE = "window"


def _graded_month(by_month: Mapping[str, LedgerEntry], ceiling: str) -> str | None:
    """The newest month up to `ceiling` with figures: a ledger not in yet is R4's finding, not a reason to stop grading."""
    months = [m for m in sorted(by_month, reverse=True)
              if m <= ceiling and (by_month[m].ytd_fen is not None or done_in(by_month, m) is not None)]
    return months[0] if months else None


def _plan(facts: ProjectFacts, by_month: Mapping[str, LedgerEntry], months: list[str]) -> tuple[Fraction, str] | None:
    """The months' plan: the ledger's monthly figures, else a twelfth of each month's own year's annual plan (a window
    from December into January takes one month of each year's); None when a month's year has no plan."""
    plans = [by_month[m].plan_fen if m in by_month else None for m in months]
    if all(p is not None for p in plans):
        return Fraction(sum(p for p in plans if p is not None)), "monthly_curve"
    annuals = [facts.annual_plan(int(m[:4])) for m in months]
    if not all(annual and annual > 0 for annual in annuals):
        return None
    return Fraction(sum(annual for annual in annuals if annual), 12), "annual_by_months"


def _grade(behind: Fraction, policy: Policy) -> tuple[int, str] | None:
    if behind * 100 > Fraction(policy.progress_red_points):
        return 2, "red"
    if behind * 100 >= Fraction(policy.progress_yellow_points):
        return 1, "yellow"
    return None


def _finding(facts: ProjectFacts, policy: Policy, scope: str, graded: str, plan: Fraction, done: int, base: Fraction,
             plan_kind: str, months: list[str]) -> Finding | None:
    behind = (plan - done) / base
    grade = _grade(behind, policy)
    if grade is None:
        return None
    level, colour = grade
    label = "年度累计" if scope == "ytd" else f"近{len(months)}个月"
    name = f"{label}投资欠序时进度({'红灯' if colour == 'red' else '黄灯'})"
    evidence = {"scope": scope, "graded_month": graded, "months": f"{months[0]}..{months[-1]}", "plan_kind": plan_kind,
                "plan_fen": str(round(plan)), "done_fen": str(done), "base_fen": str(round(base)),
                "behind_points": points(behind)}
    annual = facts.annual_plan(int(graded[:4]))
    if annual is not None:  # the graded year's plan
        evidence["annual_plan_fen"] = str(annual)
    members = [("department", facts.responsible_unit, "action"), ("department", facts.lead_department, "informed")]
    if colour == "red":  # 银川: red means 重点督导 with a plan, a timetable and a named owner
        members = [("department", facts.responsible_unit, "action"), ("department", facts.lead_department, "action"),
                   ("leader", facts.leader, "informed")]
    summary = (f"{facts.display_name}：{label}（至{graded}）计划投资{money(round(plan))}，完成{money(done)}，"
               f"落后序时进度{points(behind)}个百分点，{name}")
    occurrence = graded[:4] if scope == "ytd" else WINDOW_OCCURRENCE  # a year's grade is that year's episode
    return catalog.finding(RULE_ID, policy, subject=f"investment:{scope}", occurrence=occurrence, level=level, level_name=name,
                           colour=colour, audience=audience(members, Audience("office", policy.project_office, "action")),
                           evidence=evidence, summary=summary)


def period_over(subject: str, occurrence: str, as_of: date) -> bool:
    """A year's grade ends with its year: from 1 January the annual plan is the new year's, and last year's months are
    not graded against it (`evaluate`), so the finding goes with the condition standing. The recent window runs across
    years and ends only when it is graded on time."""
    return subject == YEAR_TO_DATE and occurrence.isdigit() and int(occurrence) < as_of.year


def _year_to_date(facts: ProjectFacts, policy: Policy, by_month: Mapping[str, LedgerEntry], graded: str) -> Finding | None:
    """The year's grade up to the graded month, against that year's annual plan: none for a year without one."""
    annual = facts.annual_plan(int(graded[:4]))
    if not annual or annual <= 0:
        return None
    ytd_months = [month_key(int(graded[:4]), m) for m in range(1, int(graded[5:]) + 1)]
    entry = by_month[graded]
    done_each = [done_in(by_month, m) for m in ytd_months]
    done = entry.ytd_fen if entry.ytd_fen is not None else (sum(d for d in done_each if d is not None)
                                                             if all(d is not None for d in done_each) else None)
    if done is None:
        return None
    planned = _plan(facts, by_month, ytd_months)
    if planned is None:
        return None
    plan, kind = planned
    return _finding(facts, policy, "ytd", graded, plan, done, Fraction(annual), kind, ytd_months)


def year_to_date(facts: ProjectFacts, policy: Policy, month: str) -> Finding | None:
    """The year's grade as of the end of `month`, as `evaluate` gives it on the days that grade that month: what the
    monthly bulletin lists as 欠进度. December's bulletin is written in January, when the year's escalation has closed."""
    by_month = {e.month: e for e in facts.ledger}
    graded = _graded_month(by_month, month)
    if graded is None or graded[:4] != month[:4]:
        return None
    return _year_to_date(facts, policy, by_month, graded)


def evaluate(facts: ProjectFacts, policy: Policy, as_of: date) -> list[Finding]:
    by_month = {e.month: e for e in facts.ledger}
    graded = _graded_month(by_month, last_complete_month(as_of))
    if not facts.has_annual_plan or graded is None:
        return []
    found: list[Finding | None] = []
    if graded[:4] == f"{as_of.year:04d}":  # last year's closing months are graded in last year's bulletin, not now
        found.append(_year_to_date(facts, policy, by_month, graded))
    window = months_back(graded, policy.progress_window_months)
    done_window = [done_in(by_month, m) for m in window]
    planned = _plan(facts, by_month, window) if all(d is not None for d in done_window) else None
    if planned is not None and planned[0] > 0:
        plan, kind = planned
        found.append(_finding(facts, policy, "quarter", graded, plan, sum(d for d in done_window if d is not None), plan, kind, window))
    return [f for f in found if f is not None]
