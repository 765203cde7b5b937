"""escalation's subscriber: tracker's state changes into the group commit, ack after the commit."""
from __future__ import annotations

from faststream import AckPolicy
from faststream.exceptions import NackMessage
from faststream.nats import JStream, NatsRouter
from sqlalchemy.exc import DBAPIError

from shared import subjects
from shared.batching import GroupCommitter
from shared.contracts import ProjectStateChanged
from shared.messaging import consumer_config, pull_sub

RETRY_DELAY_SECONDS = 2


def build_router(committer: GroupCommitter[ProjectStateChanged, bool], workers: int) -> NatsRouter:
    router = NatsRouter()

    @router.subscriber(
        subjects.project_changed(),
        stream=JStream(subjects.PROJECTS.name, declare=False),
        durable=subjects.ESCALATION_ON_PROJECT_CHANGED,
        config=consumer_config(),
        pull_sub=pull_sub(),
        max_workers=workers,
        ack_policy=AckPolicy.REJECT_ON_ERROR,
        title="escalation:on_project_changed",
        description="Update the projection and evaluate the project's rules; emits county.<county>.escalation.<fact>.",
    )
    async def on_project_changed(event: ProjectStateChanged) -> None:
        try:
            await committer.submit(event)
        except (DBAPIError, OSError) as error:  # the database is away or busy: later
            raise NackMessage(delay=RETRY_DELAY_SECONDS) from error

    return router
