"""The rule registry: each rule as data (id, version, legal source) plus its pure evaluator."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from services.escalation.domain.facts import ProjectFacts
from services.escalation.domain.findings import Finding
from services.escalation.domain.policy import Policy
from services.escalation.domain.rules import budget_overrun, idle_land

Evaluate = Callable[[ProjectFacts, Policy, date], list[Finding]]


@dataclass(frozen=True, slots=True)
class Rule:
    rule_id: str
    version: int
    source: str
    evaluate: Evaluate


RULES: tuple[Rule, ...] = (
    Rule(idle_land.RULE_ID, idle_land.RULE_VERSION, "闲置土地处置办法(国土资源部令第53号)",
         idle_land.evaluate_idle_land),
    Rule(budget_overrun.RULE_ID, budget_overrun.RULE_VERSION, "政府投资条例 第十二、二十三、三十四条",
         budget_overrun.evaluate_budget_overrun),
)


def evaluate_all(facts: ProjectFacts, policy: Policy, as_of: date) -> list[Finding]:
    """Every rule's findings for one project as of one Beijing calendar day, in registry order."""
    return [finding for rule in RULES for finding in rule.evaluate(facts, policy, as_of)]
