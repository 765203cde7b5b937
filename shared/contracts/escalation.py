"""escalation → notifier: an escalation raised, climbing a level, or resolved."""
from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import Field

from shared.contracts.base import Contract, Event


class RecipientKind(StrEnum):
    department = "department"  # a county department by its Chinese name, e.g. 自然资源局
    leader = "leader"  # a named leader in charge (包抓领导)
    office = "office"  # the county project office itself


class Recipient(Contract):
    kind: RecipientKind
    name: str = Field(min_length=1, max_length=100)
    role: Literal["action", "informed"] = "action"


class EscalationFacts(Event):
    """What every escalation event carries, so notifier needs nothing else to write the message."""

    escalation_id: UUID = Field(description="stable: project, subject, rule and occurrence")
    project_id: UUID
    project_code: str | None = None
    project_name: str | None = None
    subject: str = Field(description="what the rule looked at, e.g. parcel:P-01 or budget")
    rule_id: str
    rule_version: int
    level: int = Field(ge=1)
    level_name: str
    as_of: date = Field(description="the Beijing date the rule was evaluated for")
    evidence: dict[str, str] = Field(description="the facts and thresholds behind the level, as exact strings")
    recipients: tuple[Recipient, ...]
    summary: str = Field(description="one line in Chinese")


class EscalationRaised(EscalationFacts):
    kind: Literal["raised"] = "raised"


class EscalationEscalated(EscalationFacts):
    kind: Literal["escalated"] = "escalated"
    previous_level: int = Field(ge=1)


class EscalationResolved(EscalationFacts):
    """The escalation is closed; `level` is the last level reached. `resolution`: its condition no longer holds
    (condition_cleared), or the period it was graded for is over with the condition standing (period_ended: a year's
    investment plan at the year's end), for the office to review."""

    kind: Literal["resolved"] = "resolved"
    resolution: Literal["condition_cleared", "period_ended"] = "condition_cleared"
