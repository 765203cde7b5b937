"""Which message an event gets: escalation, case step or bulletin; and a digest of any of them."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from pydantic import Field, TypeAdapter

from services.notifier.messages import UNNAMED, EscalationEvent, Message, event_tag, render_event
from services.notifier.messages import render_digest as render_escalation_digest
from services.notifier.messages_cases import ACTION_TAGS, render_bulletin, render_case
from services.notifier.messages_coordination import KIND_NAMES, render_coordination
from shared.contracts import (
    BulletinPublished,
    CaseChanged,
    CoordinationChanged,
    EscalationEscalated,
    EscalationRaised,
    EscalationResolved,
    Recipient,
)

NotifiedEvent = EscalationEvent | CaseChanged | BulletinPublished | CoordinationChanged
NOTIFIED_EVENTS: TypeAdapter[NotifiedEvent] = TypeAdapter(
    Annotated[EscalationRaised | EscalationEscalated | EscalationResolved | CaseChanged | BulletinPublished | CoordinationChanged,
              Field(discriminator="kind")]
)


def about_id(event: NotifiedEvent) -> str:
    """What a delivery is about, for the log's escalation_id column: the escalation (of a case too), the bulletin, or the
    problem, meeting or assignment."""
    if isinstance(event, CoordinationChanged):
        return str(event.item_id)
    return str(event.bulletin_id if isinstance(event, BulletinPublished) else event.escalation_id)


def render(event: NotifiedEvent, recipient: Recipient, public_url: str) -> Message:
    if isinstance(event, CaseChanged):
        return render_case(event, recipient)
    if isinstance(event, BulletinPublished):
        return render_bulletin(event, recipient, public_url)
    if isinstance(event, CoordinationChanged):
        return render_coordination(event, recipient)
    return render_event(event, recipient)


def _line(event: NotifiedEvent) -> str:
    if isinstance(event, BulletinPublished):
        return f"通报｜{event.title}"
    if isinstance(event, CoordinationChanged):
        return f"{KIND_NAMES[event.item_kind]}｜{event.project_name or event.project_code or event.number or UNNAMED}｜{event.summary}"
    if isinstance(event, CaseChanged):
        return f"{ACTION_TAGS.get(event.action.value, '督办')}｜{event.project_name or event.project_code or UNNAMED}｜第{event.ladder_level}级｜{event.summary}"
    return f"{event_tag(event)}｜{event.project_name or event.project_code or UNNAMED}｜第{event.level}级 {event.level_name}｜{event.summary}"


def render_digest(events: Sequence[NotifiedEvent], recipient_name: str) -> Message:
    """Several messages in one, for when a robot's rate limit would drop the rest."""
    if all(isinstance(e, EscalationRaised | EscalationEscalated | EscalationResolved) for e in events):
        return render_escalation_digest(events, recipient_name)  # type: ignore[arg-type]
    lines = [_line(e) for e in events]
    head = f"{recipient_name}：共有{len(events)}条重点项目消息，请逐条核实。"
    body = [head, "", *(f"{i}. {line}" for i, line in enumerate(lines, 1))]
    return Message(title=f"【汇总】重点项目消息{len(events)}条", text_markdown="\n".join(body), text_plain="\n".join(body[:1] + body[2:]))
