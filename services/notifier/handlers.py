"""notifier's subscription: the consumer that runs it, and its description for AsyncAPI."""
from __future__ import annotations

from typing import Annotated

from faststream.nats import JStream, NatsBroker, PullSub
from pydantic import Field, TypeAdapter

from shared import subjects
from shared.batching import BatchCommitter
from shared.consumer import BatchConsumer, ConsumerMetrics
from shared.contracts import EscalationEscalated, EscalationRaised, EscalationResolved, NotificationSent
from shared.dead_letters import DeadLetters
from shared.messaging import PULL_BATCH

AnyEscalationEvent = Annotated[EscalationRaised | EscalationEscalated | EscalationResolved, Field(discriminator="kind")]
ESCALATION_EVENTS: TypeAdapter[AnyEscalationEvent] = TypeAdapter(AnyEscalationEvent)


def build_consumer(committer: BatchCommitter, dead_letters: DeadLetters, metrics: ConsumerMetrics) -> BatchConsumer:
    return BatchConsumer(subjects.ESCALATIONS.name, subjects.escalation(), subjects.NOTIFIER_ON_ESCALATION,
                         ESCALATION_EVENTS.validate_json, committer, dead_letters, metrics)


def describe(broker: NatsBroker) -> None:
    @broker.subscriber(subjects.escalation(), stream=JStream(subjects.ESCALATIONS.name, declare=False),
                       durable=subjects.NOTIFIER_ON_ESCALATION, pull_sub=PullSub(batch_size=PULL_BATCH), title="notifier:on_escalation_event",
                       description="Plan one delivery per recipient and channel by the county's routing file; a worker sends them.")
    async def on_escalation_event(event: AnyEscalationEvent) -> None:
        """Consumed in batches by shared.consumer; one transaction per batch."""

    broker.publisher(subjects.notification_sent(), schema=NotificationSent, title="notifier:notification_sent",
                     description="Published through the outbox after a delivery is recorded as sent.")
