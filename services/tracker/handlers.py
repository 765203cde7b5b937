"""tracker's subscriber: decode, hand to the group commit, ack after the commit."""
from __future__ import annotations

from faststream import AckPolicy
from faststream.exceptions import NackMessage
from faststream.nats import JStream, NatsRouter
from sqlalchemy.exc import DBAPIError

from services.tracker.service import ConcurrentUpdate, Outcome
from shared import subjects
from shared.batching import GroupCommitter
from shared.contracts import ProjectUpdated
from shared.messaging import consumer_config, pull_sub

RETRY_DELAY_SECONDS = 2


def build_router(committer: GroupCommitter[ProjectUpdated, Outcome], workers: int) -> NatsRouter:
    router = NatsRouter()

    @router.subscriber(
        subjects.project_updated(),
        stream=JStream(subjects.UPDATES.name, declare=False),
        durable=subjects.TRACKER_ON_PROJECT_UPDATED,
        config=consumer_config(),
        pull_sub=pull_sub(),
        max_workers=workers,
        ack_policy=AckPolicy.REJECT_ON_ERROR,
        title="tracker:on_project_updated",
        description="Merge a county's update into the project's state; emits county.<county>.project.changed.",
    )
    async def on_project_updated(event: ProjectUpdated) -> None:
        try:
            await committer.submit(event)
        except (DBAPIError, ConcurrentUpdate, OSError) as error:  # the database is away or busy: later
            raise NackMessage(delay=RETRY_DELAY_SECONDS) from error

    return router
