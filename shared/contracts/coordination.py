"""escalation → notifier (and any reader): the problem list (问题清单), meetings (联席会议, 调度会), their assignments
(交办事项), and referrals (移送) of findings to an oversight body.

A problem is solved at the lowest level that can: 1 the responsible department, 2 the leader in charge (分包领导),
3 the joint meeting (项目推进联席会议), 4 the scheduling meeting (调度会). A meeting's decision on an agenda item becomes
an assignment, tracked until it is closed (销号).
"""
from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from pydantic import Field

from shared.contracts.base import Event
from shared.contracts.escalation import Recipient

ItemKind = Literal["problem", "meeting", "assignment", "referral"]


class CoordinationChanged(Event):
    """One step of a problem, a meeting, an assignment or a referral; `recipients` are the people to tell about it."""

    kind: Literal["coordination"] = "coordination"
    item_kind: ItemKind
    item_id: UUID
    number: str | None = Field(default=None, max_length=50, description="an assignment's or a meeting's number, e.g. 交办〔2026〕3号")
    project_id: UUID | None = None
    project_code: str | None = None
    project_name: str | None = None
    action: str = Field(max_length=30, description="e.g. raised, submitted, climbed, decided, closed")
    state: str = Field(max_length=20)
    level: int = Field(ge=1, le=4, description="problems: 1 department … 4 scheduling meeting; assignments 1 … 3")
    level_name: str
    target_kind: Literal["department", "leader", "office"] | None = Field(default=None, description="who must act now")
    target_name: str | None = Field(default=None, max_length=100)
    due_on: date | None = Field(default=None, description="the deadline of the step now expected")
    actor: str | None = Field(default=None, description="who acted (person id), or None for the system's clock")
    note: str = Field(default="", max_length=2000)
    recipients: tuple[Recipient, ...] = ()
    summary: str = Field(description="one line in Chinese")
