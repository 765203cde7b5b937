"""The rule registry: each rule as data (id, version, legal source) plus its pure evaluator."""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from services.escalation.domain.facts import ProjectFacts
from services.escalation.domain.findings import Finding
from services.escalation.domain.policy import Policy
from services.escalation.domain.rules import budget_overrun, idle_land

Evaluate = Callable[[ProjectFacts, Policy, date], list[Finding]]


# Facts every rule's audience and summary read (who is told, the project's name).
AUDIENCE_INPUTS = ("name", "leader", "lead_department", "responsible_unit")


@dataclass(frozen=True, slots=True)
class Rule:
    rule_id: str
    version: int
    source: str
    evaluate: Evaluate
    inputs: tuple[str, ...]  # fact paths (or path prefixes) the rule reads


RULES: tuple[Rule, ...] = (
    Rule(idle_land.RULE_ID, idle_land.RULE_VERSION, "闲置土地处置办法(国土资源部令第53号)",
         idle_land.evaluate_idle_land, ("land_parcels", "total_investment_fen", *AUDIENCE_INPUTS)),
    Rule(budget_overrun.RULE_ID, budget_overrun.RULE_VERSION, "政府投资条例 第十二、二十三、三十四条",
         budget_overrun.evaluate_budget_overrun,
         ("government_funded", "budget_fen", "budget_adjustment_fen", "committed_cost_fen", "spent_cost_fen", "overrun_approval", *AUDIENCE_INPUTS)),
)


def reads_any(changed_paths: Iterable[str]) -> bool:
    """Whether a change touches a fact some rule reads. One that does not cannot change a finding
    as of the same day; the clock's own effect (land becoming idle) is the sweep's job."""
    inputs = tuple(path for rule in RULES for path in rule.inputs)
    return any(path.startswith(inputs) for path in changed_paths)


def evaluate_all(facts: ProjectFacts, policy: Policy, as_of: date) -> list[Finding]:
    """Every rule's findings for one project as of one Beijing calendar day, in registry order."""
    return [finding for rule in RULES for finding in rule.evaluate(facts, policy, as_of)]
