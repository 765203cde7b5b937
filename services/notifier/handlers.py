"""notifier's subscriber: escalation events into the delivery log (one transaction per batch)."""
from __future__ import annotations

from typing import Annotated

from faststream import AckPolicy
from faststream.exceptions import NackMessage
from faststream.nats import JStream, NatsRouter
from pydantic import Field
from sqlalchemy.exc import DBAPIError

from shared import subjects
from shared.batching import GroupCommitter
from shared.contracts import EscalationEscalated, EscalationRaised, EscalationResolved
from shared.messaging import consumer_config, pull_sub

RETRY_DELAY_SECONDS = 2
AnyEscalationEvent = Annotated[EscalationRaised | EscalationEscalated | EscalationResolved, Field(discriminator="kind")]


def build_router(committer: GroupCommitter, workers: int) -> NatsRouter:
    router = NatsRouter()

    @router.subscriber(
        subjects.escalation(),
        stream=JStream(subjects.ESCALATIONS.name, declare=False),
        durable=subjects.NOTIFIER_ON_ESCALATION,
        config=consumer_config(),
        pull_sub=pull_sub(),
        max_workers=workers,
        ack_policy=AckPolicy.REJECT_ON_ERROR,
        title="notifier:on_escalation_event",
        description="Plan one delivery per recipient and channel by the county's routing file; the worker sends them.",
    )
    async def on_escalation_event(event: AnyEscalationEvent) -> None:
        try:
            await committer.submit(event)
        except (DBAPIError, OSError) as error:  # the database is away or busy: later
            raise NackMessage(delay=RETRY_DELAY_SECONDS) from error

    return router
