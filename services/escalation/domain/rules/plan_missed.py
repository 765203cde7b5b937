"""R5 下月计划 missed (以目标倒逼进度): the investment a month's ledger plans for the next month, checked against that month.

Speech 000 asks every key project's ledger to record "下月计划和当月进展" each month, "以目标倒逼进度". Month M's
ledger names the investment planned for M+1 (`next_month_plan_fen`); once M+1 is over and its ledger is in, its
investment is compared with that plan. Short of it (by more than the policy's tolerance) is a miss: yellow the
first month, red when missed `plan_missed_red_months` (2) months running. The episode is the run of misses,
so a met plan clears it and a later miss opens a new one.

It is R5 because it is the investment-progress family (the plan is an investment figure, read from the same
ledger as 欠序时进度), but a rule of its own: a project can keep its promise for the month and still be behind
the year's curve, or the other way round. The contract's 下月计划 has investment only (its milestones are
words, `next_month_plan`), so only investment is checked; the words travel as evidence.
Its plan is the previous month's 下月计划, never the month's own `plan_fen` (the monthly curve R5's 序时 reads).
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from fractions import Fraction

from services.escalation.domain import catalog
from services.escalation.domain.facts import LedgerEntry, ProjectFacts
from services.escalation.domain.findings import Audience, Finding, audience
from services.escalation.domain.ledger_months import done_in, last_complete_month, previous_month
from services.escalation.domain.policy import Policy
from shared.wording import money

RULE_ID = "R5.plan_missed"
SUBJECT = "monthly_plan"
LEVEL_NAMES = {1: "未完成下月计划(黄灯)", 2: "连续未完成下月计划(红灯)"}


def planned_for(by_month: Mapping[str, LedgerEntry], month: str) -> int | None:
    """What the month before promised for `month` (its 下月计划投资)."""
    before = by_month.get(previous_month(month))
    return before.next_month_plan_fen if before is not None else None


def _missed(plan: int | None, done: int | None, policy: Policy) -> bool:
    if plan is None or done is None or plan <= 0:
        return False
    return done < plan * (1 - Fraction(policy.plan_missed_tolerance_percent) / 100)


def _graded_month(by_month: Mapping[str, LedgerEntry], as_of: date) -> str | None:
    """The newest month that is over and has an investment figure (a ledger not in yet is R4's finding)."""
    ceiling = last_complete_month(as_of)
    return next((m for m in sorted(by_month, reverse=True) if m <= ceiling and done_in(by_month, m) is not None), None)


def _run(by_month: Mapping[str, LedgerEntry], graded: str, policy: Policy) -> list[str]:
    """The months missed running up to `graded`, oldest first (empty when `graded` kept its plan or had none)."""
    run: list[str] = []
    month = graded
    while _missed(planned_for(by_month, month), done_in(by_month, month), policy):
        run.insert(0, month)
        month = previous_month(month)
    return run


def evaluate(facts: ProjectFacts, policy: Policy, as_of: date) -> list[Finding]:
    by_month = {e.month: e for e in facts.ledger}
    graded = _graded_month(by_month, as_of)
    if graded is None:
        return []
    run = _run(by_month, graded, policy)
    plan, done = planned_for(by_month, graded), done_in(by_month, graded)
    if not run or plan is None or done is None:  # the graded month kept its plan, or had none
        return []
    red = len(run) >= policy.plan_missed_red_months
    level, colour = (2, "red") if red else (1, "yellow")
    plan_month = previous_month(graded)  # the ledger that made the promise; also the month before, graded alike
    evidence = {"graded_month": graded, "plan_month": plan_month, "plan_fen": str(plan), "done_fen": str(done),
                "shortfall_fen": str(plan - done), "missed_months": str(len(run)), "missed_since": run[0]}
    if by_month[plan_month].next_month_plan:
        evidence["plan_text"] = by_month[plan_month].next_month_plan
    before_plan, before_done = planned_for(by_month, plan_month), done_in(by_month, plan_month)
    before = ""
    if before_plan is not None and before_done is not None:  # both months side by side
        evidence |= {"previous_plan_fen": str(before_plan), "previous_done_fen": str(before_done)}
        before = f"上月（{plan_month}）计划{money(before_plan)}、完成{money(before_done)}；"
    members = [("department", facts.responsible_unit, "action"), ("department", facts.lead_department, "informed")]
    if red:  # as R5's 欠序时进度: red asks the lead department to act too and tells the leader in charge
        members = [("department", facts.responsible_unit, "action"), ("department", facts.lead_department, "action"),
                   ("leader", facts.leader, "informed")]
    summary = (f"{facts.display_name}：{graded}完成投资{money(done)}，低于{plan_month}台账所报下月计划{money(plan)}，"
               f"差{money(plan - done)}；{before}连续{len(run)}个月未完成计划，{LEVEL_NAMES[level]}")
    return [catalog.finding(RULE_ID, policy, subject=SUBJECT, occurrence=run[0], level=level, level_name=LEVEL_NAMES[level],
                            colour=colour, audience=audience(members, Audience("office", policy.project_office, "action")),
                            evidence=evidence, summary=summary)]
