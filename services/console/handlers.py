"""console's subscriptions: four consumers feeding the read model, and their description for AsyncAPI."""
from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from faststream.nats import JStream, NatsBroker, PullSub
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.console.projection.alerts import apply_case_events, apply_escalation_events, decode_escalation
from services.console.projection.bulletins import apply_bulletins
from services.console.projection.projects import apply_project_changes
from shared import subjects
from shared.batching import TRANSIENT, BatchCommitter
from shared.consumer import BatchConsumer, ConsumerMetrics
from shared.contracts import BulletinPublished, CaseChanged, EscalationRaised, ProjectStateChanged
from shared.dead_letters import DeadLetters
from shared.messaging import PULL_BATCH

Apply = Callable[[async_sessionmaker, Sequence[Any], datetime], Awaitable[int]]
# (stream, subject, durable, decode, apply)
SUBSCRIPTIONS: tuple[tuple[str, str, str, Callable[[bytes], Any], Apply], ...] = (
    (subjects.PROJECTS.name, subjects.project_changed(), subjects.CONSOLE_ON_PROJECT_CHANGED,
     ProjectStateChanged.model_validate_json, apply_project_changes),
    (subjects.ESCALATIONS.name, subjects.escalation(), subjects.CONSOLE_ON_ESCALATION, decode_escalation, apply_escalation_events),
    (subjects.CASES.name, subjects.case(), subjects.CONSOLE_ON_CASE, CaseChanged.model_validate_json, apply_case_events),
    (subjects.BULLETINS.name, subjects.bulletin_published(), subjects.CONSOLE_ON_BULLETIN,
     BulletinPublished.model_validate_json, apply_bulletins),
)


def build_consumers(sessions: async_sessionmaker, now: Callable[[], datetime], dead_letters: DeadLetters,
                    metrics: ConsumerMetrics, transient: tuple[type[BaseException], ...] = TRANSIENT) -> list[BatchConsumer]:
    consumers = []
    for stream, subject, durable, decode, apply in SUBSCRIPTIONS:
        async def process(events: Sequence[Any], apply: Apply = apply) -> None:
            await apply(sessions, events, now())

        consumers.append(BatchConsumer(stream, subject, durable, decode, BatchCommitter(process, dead_letters, transient=transient),
                                       dead_letters, metrics))
    return consumers


def describe(broker: NatsBroker) -> None:
    def subscriber(index: int):  # type: ignore[no-untyped-def]  # noqa: ANN202 - FastStream's decorator
        stream, subject, durable, _, _ = SUBSCRIPTIONS[index]
        return broker.subscriber(subject, stream=JStream(stream, declare=False), durable=durable, pull_sub=PullSub(batch_size=PULL_BATCH),
                                 title=f"console:{durable.removeprefix('console-')}",
                                 description="Fold the event into the console's read model (idempotent, newest wins).")

    @subscriber(0)
    async def on_project_changed(event: ProjectStateChanged) -> None:
        """Projects with their filter columns, and the change log with its source systems."""

    @subscriber(1)
    async def on_escalation(event: EscalationRaised) -> None:
        """Raised, escalated and resolved escalations (the same fields; `kind` tells them apart)."""

    @subscriber(2)
    async def on_case_changed(event: CaseChanged) -> None:
        """Each step of a case: its state, level, due date and who must act."""

    @subscriber(3)
    async def on_bulletin_published(event: BulletinPublished) -> None:
        """The monthly bulletins the console lists (the documents stay with escalation)."""
