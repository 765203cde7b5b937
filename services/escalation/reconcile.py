"""Pure: compare a project's open escalations with today's findings and say what must happen."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from services.escalation.domain.findings import Finding
from services.escalation.domain.ladder import Decision, Nothing, Open, decide, escalation_key
from services.escalation.domain.rules import period_over


def reconcile(project_id: str, open_now: Iterable[Open], findings: Iterable[Finding], rule_ids: Iterable[str],
              as_of: date | None = None) -> list[Decision]:
    """Decisions for every key that is open or found, in a stable order.

    Only rules in `rule_ids` may resolve what is open: a record of a rule this run did not
    evaluate (retired, or not part of a partial sweep) is left alone. With `as_of`, a record whose period is over
    then (a year's grade in the new year) closes as ended, not as cleared.
    """
    evaluated = set(rule_ids)
    current = {record.escalation_key: record for record in open_now}
    found = {escalation_key(project_id, f.rule_id, f.subject): f for f in findings}
    decisions: list[Decision] = []
    for key in sorted(current.keys() | found.keys()):
        record = current.get(key)
        if record is not None and key not in found and record_rule(key) not in evaluated:
            continue
        ended = record is not None and as_of is not None and period_over(*record_rule_and_subject(key), record.occurrence, as_of)
        decisions += [d for d in decide(record, found.get(key), ended) if not isinstance(d, Nothing)]
    return decisions


def record_rule(key: str) -> str:
    return record_rule_and_subject(key)[0]


def record_rule_and_subject(key: str) -> tuple[str, str]:
    _, rule_id, subject = key.split("|", 2)  # the subject may hold "|" itself, never the project id or rule id
    return rule_id, subject
