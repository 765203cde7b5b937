"""The pure level logic of an escalation record: raise, escalate, resolve, or leave alone."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from uuid import UUID

from services.escalation.domain.findings import Finding

# Fixed forever: changing it would give every existing escalation a new id.
ESCALATION_NAMESPACE = UUID("6f1d2c3a-8b4e-5f70-9a1b-2c3d4e5f6a7b")


@dataclass(frozen=True, slots=True)
class Open:
    """The open escalation record of one key, as the ladder needs to see it."""

    escalation_key: str
    occurrence: str
    level: int


@dataclass(frozen=True, slots=True)
class Raise:
    finding: Finding


@dataclass(frozen=True, slots=True)
class Escalate:
    finding: Finding
    previous_level: int


# Why an escalation closes (EscalationResolved.resolution): its condition no longer holds, or the period it was graded
# for is over with the condition standing (a year's investment plan at the year's end), which is not "cleared".
CONDITION_CLEARED = "condition_cleared"
PERIOD_ENDED = "period_ended"


@dataclass(frozen=True, slots=True)
class Resolve:
    current: Open
    reason: str = CONDITION_CLEARED


@dataclass(frozen=True, slots=True)
class Nothing:
    pass


Decision = Raise | Escalate | Resolve | Nothing


def decide(current: Open | None, finding: Finding | None, period_ended: bool = False) -> tuple[Decision, ...]:
    """Decisions to apply in order; `(Nothing(),)` when the record stays as it is. `period_ended`: the period the open
    record was graded for is over, so closing it says so rather than that its condition cleared."""
    if current is None:
        # A project first seen deep in trouble opens at its level, without replaying the lower ones.
        return (Raise(finding),) if finding is not None else (Nothing(),)
    reason = PERIOD_ENDED if period_ended else CONDITION_CLEARED
    if finding is None:
        return (Resolve(current, reason),)
    if finding.occurrence != current.occurrence:
        # A new episode (e.g. stalled again after progress) closes the old case and opens anew.
        return (Resolve(current, reason), Raise(finding))
    if finding.level > current.level:
        return (Escalate(finding, current.level),)
    # Levels only climb while the condition holds: a lower reading (e.g. a new pause) changes nothing.
    return (Nothing(),)


def escalation_key(project_id: str | UUID, rule_id: str, subject: str) -> str:
    """The key of the one open record a project may have per rule and subject."""
    return f"{project_id}|{rule_id}|{subject}"


def escalation_id(project_id: str | UUID, rule_id: str, subject: str, occurrence: str, sequence: int) -> UUID:
    """A stable id: the same episode (and sequence number) always gets the same UUID."""
    name = f"{escalation_key(project_id, rule_id, subject)}|{occurrence}|{sequence}"
    return uuid.uuid5(ESCALATION_NAMESPACE, name)
