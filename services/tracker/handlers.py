"""tracker's subscription: the consumer that runs it, and its description for AsyncAPI."""
from __future__ import annotations

from faststream.nats import JStream, NatsBroker, PullSub

from shared import subjects
from shared.batching import BatchCommitter
from shared.consumer import BatchConsumer, ConsumerMetrics
from shared.contracts import ProjectStateChanged, ProjectUpdated
from shared.dead_letters import DeadLetters
from shared.messaging import PULL_BATCH


def build_consumer(committer: BatchCommitter[ProjectUpdated], dead_letters: DeadLetters, metrics: ConsumerMetrics) -> BatchConsumer:
    return BatchConsumer(subjects.UPDATES.name, subjects.project_updated(), subjects.TRACKER_ON_PROJECT_UPDATED,
                         ProjectUpdated.model_validate_json, committer, dead_letters, metrics)


def describe(broker: NatsBroker) -> None:
    @broker.subscriber(subjects.project_updated(), stream=JStream(subjects.UPDATES.name, declare=False),
                       durable=subjects.TRACKER_ON_PROJECT_UPDATED, pull_sub=PullSub(batch_size=PULL_BATCH), title="tracker:on_project_updated",
                       description="Merge a county's update into the project's state, field by field (newest source record wins).")
    async def on_project_updated(event: ProjectUpdated) -> None:
        """Consumed in batches by shared.consumer; one transaction per batch."""

    broker.publisher(subjects.project_changed(), schema=ProjectStateChanged, title="tracker:project_changed",
                     description="What changed and the whole new state; published through the outbox after the commit.")
