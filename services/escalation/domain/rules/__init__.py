"""The rule registry: each catalog rule with its pure evaluator and the fact paths it reads."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from services.escalation.domain import starts
from services.escalation.domain.catalog import SPECS, RuleSpec
from services.escalation.domain.facts import ProjectFacts
from services.escalation.domain.findings import Finding
from services.escalation.domain.policy import Policy
from services.escalation.domain.rules import (
    budget_overrun,
    central_funds,
    data_freshness,
    idle_land,
    investment_progress,
    milestones,
    plan_missed,
    timers,
)

Evaluate = Callable[[ProjectFacts, Policy, date], list[Finding]]
PeriodOver = Callable[[str, str, date], bool]  # (subject, occurrence, day): the period an open finding was graded for is over


# Facts every rule's audience and summary read (who is told, the project's name).
AUDIENCE_INPUTS = ("name", "leader", "lead_department", "responsible_unit")
# What counts as a start for the approval/stage 开工 (starts.approval_started).
START_INPUTS = ("stage", "milestones")


@dataclass(frozen=True, slots=True)
class Rule:
    rule_id: str
    version: int
    source: str
    evaluate: Evaluate
    inputs: tuple[str, ...]  # fact paths (or path prefixes) the rule reads
    period_over: PeriodOver | None = None  # for a rule whose findings belong to a period that ends with the clock

    @property
    def spec(self) -> RuleSpec:
        return SPECS[self.rule_id]


def _rule(rule_id: str, evaluate: Evaluate, *inputs: str, period_over: PeriodOver | None = None) -> Rule:
    spec = SPECS[rule_id]
    return Rule(rule_id, spec.version, f"{spec.source} {spec.article}", evaluate, (*inputs, *AUDIENCE_INPUTS), period_over)


RULES: tuple[Rule, ...] = (
    _rule(idle_land.RULE_ID, idle_land.evaluate_idle_land, "land_parcels", "total_investment_fen"),
    _rule(starts.RULE_ID, starts.evaluate_started_but_idle, "land_parcels", "total_investment_fen", *START_INPUTS),
    _rule(budget_overrun.RULE_ID, budget_overrun.evaluate_budget_overrun, "government_funded", "budget_fen",
          "budget_adjustment_fen", "committed_cost_fen", "spent_cost_fen", "overrun_approval"),
    _rule(central_funds.RULE_ID, central_funds.evaluate, "central_funds", "stats_start_date", *START_INPUTS),
    _rule(milestones.MILESTONE_RULE, milestones.evaluate_milestones, "milestones"),
    # "ledger" also matches "ledger_month", the flat figures' month.
    _rule(milestones.LEDGER_RULE, milestones.evaluate_ledger, "ledger", *START_INPUTS),
    _rule(investment_progress.RULE_ID, investment_progress.evaluate, "annual_plan_fen", "annual_plans", "ledger", "investment_month_fen",
          "investment_ytd_fen", period_over=investment_progress.period_over),
    # "ledger" covers each month's figures and its 下月计划 (ledger.<month>.next_month_plan_fen) alike.
    _rule(plan_missed.RULE_ID, plan_missed.evaluate, "ledger", "investment_month_fen", "investment_ytd_fen"),
    # Staleness sets in with the clock alone (the sweep finds it). Any new record clears it: a record that moves
    # only facts no rule reads (township, nature) clears the grey at the next sweep instead of at once.
    _rule(data_freshness.RULE_ID, data_freshness.evaluate, "stage"),
    _rule(timers.APPROVAL_RULE, timers.evaluate_approval, "approval", *START_INPUTS),
    _rule(timers.SME_RULE, timers.evaluate_sme_payments, "sme_payments"),
    _rule(timers.STATS_RULE, timers.evaluate_stats_enrolment, "stats_enrolled_on", "total_investment_fen", "land_parcels",
          *START_INPUTS),
)


def reads_any(changed_paths: Iterable[str]) -> bool:
    """Whether a change touches a fact some rule reads. One that does not cannot change a finding as of
    the same day, except clearing R6's grey (see its registry entry); the clock's own effect (land
    becoming idle, data going stale, timers running out) is the sweep's job."""
    inputs = tuple(path for rule in RULES for path in rule.inputs)
    return any(path.startswith(inputs) for path in changed_paths)


_PERIOD_OVER = {rule.rule_id: rule.period_over for rule in RULES if rule.period_over is not None}


def period_over(rule_id: str, subject: str, occurrence: str, as_of: date) -> bool:
    """Whether the period an open finding was graded for is over on `as_of` (its closing is then not a clearing)."""
    over = _PERIOD_OVER.get(rule_id)
    return over is not None and over(subject, occurrence, as_of)


def evaluate_all(facts: ProjectFacts, policy: Policy, as_of: date) -> list[Finding]:
    """Every rule's findings for one project as of one Beijing calendar day, in registry order."""
    return [finding for rule in RULES for finding in rule.evaluate(facts, policy, as_of)]
