"""escalation → notifier (and any reader): a case (督办单) moved, and a monthly bulletin was published."""
from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Literal
from uuid import UUID

from pydantic import Field

from shared.contracts.base import Event
from shared.contracts.escalation import Recipient


class CaseState(StrEnum):
    opened = "opened"
    acknowledged = "acknowledged"  # 签收
    replied = "replied"  # 反馈: explanation and remedy plan
    reviewed = "reviewed"  # 复核 passed, awaiting 办结
    closed = "closed"  # 办结
    withdrawn = "withdrawn"  # 撤销: its condition cleared the day it opened, before anyone acted on it


# A case in one of these states is over: no clock runs, no list of open cases shows it.
FINISHED_STATES = (CaseState.closed.value, CaseState.withdrawn.value)


class CaseAction(StrEnum):
    opened = "opened"
    acknowledged = "acknowledged"
    replied = "replied"
    reviewed = "reviewed"
    closed = "closed"
    reopened = "reopened"
    climbed = "climbed"  # a missed deadline (or the rule's own level) moved the case up the ladder L1 → L5
    exception_claimed = "exception_claimed"  # government-caused delay, force majeure or 容错: clocks paused
    exception_confirmed = "exception_confirmed"  # re-targeted at the blocking department
    exception_rejected = "exception_rejected"
    withdrawn = "withdrawn"  # the condition cleared the same day, untouched: the case is called off, its target told
    retargeted = "retargeted"  # the rule's new level names another department to act: the case moves there, the old target is told


class CaseChanged(Event):
    """One step of a case's life; `recipients` are the people to tell about this step (may be empty)."""

    kind: Literal["case"] = "case"
    case_id: UUID
    escalation_id: UUID
    project_id: UUID
    project_code: str | None = None
    project_name: str | None = None
    rule_id: str
    action: CaseAction
    state: CaseState
    ladder_level: int = Field(ge=1, le=5, description="L1 lead department … L5 accountability recommendation")
    level_name: str
    target_kind: Literal["department", "leader", "office"] | None = Field(default=None, description="who must act now")
    target_name: str | None = Field(default=None, max_length=100)
    due_on: date | None = Field(default=None, description="the deadline of the step now expected")
    due_provisional: bool = Field(default=False, description="counted without an official holiday calendar for that year")
    clocks_paused: bool = False
    actor: str | None = Field(default=None, description="who acted (person id), or None for the system's clock")
    note: str = Field(default="", max_length=2000)
    recipients: tuple[Recipient, ...] = ()
    summary: str = Field(description="one line in Chinese")


class BulletinPublished(Event):
    """The monthly bulletin (每月通报) of one county is ready; the documents are fetched from `links`."""

    kind: Literal["bulletin"] = "bulletin"
    bulletin_id: UUID
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    title: str
    headline: dict[str, str] = Field(description="the key figures as exact strings, e.g. start_rate_percent")
    links: dict[str, str] = Field(description="format (html, xlsx, docx) → path on the escalation API")
    recipients: tuple[Recipient, ...]
    summary: str
