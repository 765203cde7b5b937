"""Pure: compare a project's open escalations with today's findings and say what must happen."""
from __future__ import annotations

from collections.abc import Iterable

from services.escalation.domain.findings import Finding
from services.escalation.domain.ladder import Decision, Nothing, Open, decide, escalation_key


def reconcile(project_id: str, open_now: Iterable[Open], findings: Iterable[Finding], rule_ids: Iterable[str]) -> list[Decision]:
    """Decisions for every key that is open or found, in a stable order.

    Only rules in `rule_ids` may resolve what is open: a record of a rule this run did not
    evaluate (retired, or not part of a partial sweep) is left alone.
    """
    evaluated = set(rule_ids)
    current = {record.escalation_key: record for record in open_now}
    found = {escalation_key(project_id, f.rule_id, f.subject): f for f in findings}
    decisions: list[Decision] = []
    for key in sorted(current.keys() | found.keys()):
        record = current.get(key)
        if record is not None and key not in found and record_rule(key) not in evaluated:
            continue
        decisions += [d for d in decide(record, found.get(key)) if not isinstance(d, Nothing)]
    return decisions


def record_rule(key: str) -> str:
    return key.split("|")[1]
