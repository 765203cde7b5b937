"""notifier's subscriptions: the consumers that run them, and their description for AsyncAPI."""
from __future__ import annotations

from typing import Annotated

from faststream.nats import JStream, NatsBroker, PullSub
from pydantic import Field, TypeAdapter

from shared import subjects
from shared.batching import BatchCommitter
from shared.consumer import BatchConsumer, ConsumerMetrics
from shared.contracts import (
    BulletinPublished,
    CaseChanged,
    CoordinationChanged,
    EscalationEscalated,
    EscalationRaised,
    EscalationResolved,
    NotificationSent,
)
from shared.dead_letters import DeadLetters
from shared.messaging import PULL_BATCH

AnyEscalationEvent = Annotated[EscalationRaised | EscalationEscalated | EscalationResolved, Field(discriminator="kind")]
ESCALATION_EVENTS: TypeAdapter[AnyEscalationEvent] = TypeAdapter(AnyEscalationEvent)


def build_consumers(committer: BatchCommitter, dead_letters: DeadLetters, metrics: ConsumerMetrics) -> list[BatchConsumer]:
    """One durable per stream (escalations, case steps, bulletins, problems and meetings); all plan deliveries the same way."""
    return [
        BatchConsumer(subjects.ESCALATIONS.name, subjects.escalation(), subjects.NOTIFIER_ON_ESCALATION,
                      ESCALATION_EVENTS.validate_json, committer, dead_letters, metrics),
        BatchConsumer(subjects.CASES.name, subjects.case(), subjects.NOTIFIER_ON_CASE, CaseChanged.model_validate_json,
                      committer, dead_letters, metrics),
        BatchConsumer(subjects.BULLETINS.name, subjects.bulletin_published(), subjects.NOTIFIER_ON_BULLETIN,
                      BulletinPublished.model_validate_json, committer, dead_letters, metrics),
        BatchConsumer(subjects.COORDINATION.name, subjects.coordination(), subjects.NOTIFIER_ON_COORDINATION,
                      CoordinationChanged.model_validate_json, committer, dead_letters, metrics),
    ]


def build_consumer(committer: BatchCommitter, dead_letters: DeadLetters, metrics: ConsumerMetrics) -> BatchConsumer:
    """The escalation consumer alone (kept for callers that only want escalations)."""
    return build_consumers(committer, dead_letters, metrics)[0]


def describe(broker: NatsBroker) -> None:
    @broker.subscriber(subjects.escalation(), stream=JStream(subjects.ESCALATIONS.name, declare=False),
                       durable=subjects.NOTIFIER_ON_ESCALATION, pull_sub=PullSub(batch_size=PULL_BATCH), title="notifier:on_escalation_event",
                       description="Plan one delivery per recipient and channel by the county's routing file; a worker sends them.")
    async def on_escalation_event(event: AnyEscalationEvent) -> None:
        """Consumed in batches by shared.consumer; one transaction per batch."""

    @broker.subscriber(subjects.case(), stream=JStream(subjects.CASES.name, declare=False),
                       durable=subjects.NOTIFIER_ON_CASE, pull_sub=PullSub(batch_size=PULL_BATCH), title="notifier:on_case_changed",
                       description="A case step with recipients (e.g. climbing the ladder): one Chinese message per recipient and "
                                   "channel, with the level, the project, the due date and what is asked. No recipients: nothing sent.")
    async def on_case_changed(event: CaseChanged) -> None:
        """Consumed in batches by shared.consumer; one transaction per batch."""

    @broker.subscriber(subjects.bulletin_published(), stream=JStream(subjects.BULLETINS.name, declare=False),
                       durable=subjects.NOTIFIER_ON_BULLETIN, pull_sub=PullSub(batch_size=PULL_BATCH), title="notifier:on_bulletin_published",
                       description="The monthly bulletin: title, headline figures and links to the HTML, Word and Excel documents "
                                   "on escalation's API (NOTIFIER_ESCALATION_PUBLIC_URL), to the office, the leaders and the departments.")
    async def on_bulletin_published(event: BulletinPublished) -> None:
        """Consumed in batches by shared.consumer; one transaction per batch."""

    @broker.subscriber(subjects.coordination(), stream=JStream(subjects.COORDINATION.name, declare=False),
                       durable=subjects.NOTIFIER_ON_COORDINATION, pull_sub=PullSub(batch_size=PULL_BATCH),
                       title="notifier:on_coordination_changed",
                       description="A step of a problem (问题), a meeting or an assignment (交办事项): one Chinese message per "
                                   "recipient and channel, saying what is asked of the new level's people and by when.")
    async def on_coordination_changed(event: CoordinationChanged) -> None:
        """Consumed in batches by shared.consumer; one transaction per batch."""

    broker.publisher(subjects.notification_sent(), schema=NotificationSent, title="notifier:notification_sent",
                     description="Published through the outbox after a delivery is recorded as sent.")
