"""escalation's subscription: the consumer that runs it, and its description for AsyncAPI."""
from __future__ import annotations

from faststream.nats import JStream, NatsBroker, PullSub

from shared import subjects
from shared.batching import BatchCommitter
from shared.consumer import BatchConsumer, ConsumerMetrics
from shared.contracts import BulletinPublished, CaseChanged, EscalationEscalated, EscalationRaised, EscalationResolved, ProjectStateChanged
from shared.dead_letters import DeadLetters
from shared.messaging import PULL_BATCH


def build_consumer(committer: BatchCommitter[ProjectStateChanged], dead_letters: DeadLetters, metrics: ConsumerMetrics) -> BatchConsumer:
    return BatchConsumer(subjects.PROJECTS.name, subjects.project_changed(), subjects.ESCALATION_ON_PROJECT_CHANGED,
                         ProjectStateChanged.model_validate_json, committer, dead_letters, metrics)


def describe(broker: NatsBroker) -> None:
    @broker.subscriber(subjects.project_changed(), stream=JStream(subjects.PROJECTS.name, declare=False),
                       durable=subjects.ESCALATION_ON_PROJECT_CHANGED, pull_sub=PullSub(batch_size=PULL_BATCH), title="escalation:on_project_changed",
                       description="Update the projection of the facts the rules need and evaluate the project's rules.")
    async def on_project_changed(event: ProjectStateChanged) -> None:
        """Consumed in batches by shared.consumer; one transaction per batch."""

    for fact, schema in (("raised", EscalationRaised), ("escalated", EscalationEscalated), ("resolved", EscalationResolved)):
        broker.publisher(subjects.escalation(fact=fact), schema=schema, title=f"escalation:{fact}",
                         description="Published through the outbox after the escalation record commits.")
    broker.publisher(subjects.case(), schema=CaseChanged, title="escalation:case_changed",
                     description="Every step of a case (督办单): opened, acknowledged, replied, reviewed, closed, reopened, climbed, "
                                 "exception claimed or decided; through the outbox, in the step's transaction.")
    broker.publisher(subjects.bulletin_published(), schema=BulletinPublished, title="escalation:bulletin_published",
                     description="The monthly bulletin (每月通报) of a county, through the outbox.")
