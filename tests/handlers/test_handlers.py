"""The three subscribers in memory (TestNatsBroker): decode, hand to the committer, retry or terminate.

What a user relies on: a valid event reaches the group commit decoded; a body that cannot be an
event never reaches it and is terminated (REJECT_ON_ERROR, so the dead-letter middleware keeps
it); a database outage is a retry later (a NAK with a delay), never a termination.
"""
from __future__ import annotations

import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timezone
from typing import Any
from unittest.mock import AsyncMock, patch

import pytest
from faststream.nats import NatsBroker, NatsRouter, TestNatsBroker
from faststream.nats.testing import PatchedMessage
from prometheus_client import CollectorRegistry
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from services.escalation.handlers import RETRY_DELAY_SECONDS as ESCALATION_RETRY
from services.escalation.handlers import build_router as escalation_router
from services.notifier.handlers import RETRY_DELAY_SECONDS as NOTIFIER_RETRY
from services.notifier.handlers import build_router as notifier_router
from services.tracker.handlers import RETRY_DELAY_SECONDS as TRACKER_RETRY
from services.tracker.handlers import build_router as tracker_router
from services.tracker.service import ConcurrentUpdate
from services.tracker.tables import dead_letters
from shared import subjects
from shared.contracts import Event, ProjectSnapshot, ProjectStateChanged
from shared.dead_letters import DeadLetters
from shared.messaging import headers_for
from tests.support.factories import CODE, COUNTY, update, updated
from tests.unit.notifier.notifier_events import escalated, raised, resolved

pytestmark = pytest.mark.asyncio
DROP = object()


class FakeCommitter:
    """Stands in for GroupCommitter: records what it was given, or fails like the database would."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.items: list[Any] = []
        self.error = error

    async def submit(self, item: Any) -> str:
        if self.error is not None:
            raise self.error
        self.items.append(item)
        return "done"


def db_outage() -> OperationalError:
    return OperationalError("x", {}, Exception())


def state_changed(county: str = COUNTY) -> ProjectStateChanged:
    cause = updated(update(name="城西科创产业园", stage="started"), county=county)
    project_id = uuid.UUID("33333333-3333-4333-8333-333333333333")
    return ProjectStateChanged(
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"changed|{cause.event_id}"), occurred_at=datetime(2026, 3, 2, tzinfo=timezone.utc),
        county_code=county, correlation_id=cause.correlation_id, project_id=project_id, version=1,
        changed_fields=("name", "stage"), snapshot=ProjectSnapshot(project_id=project_id, project_code=CODE, name="城西科创产业园", stage="started"),
        caused_by=cause.event_id, source_system=cause.update.source_system,
    )


# One row per subscriber: how to build its router, where its events go, a valid event, its retry delay.
SERVICES = [
    pytest.param(tracker_router, lambda e: subjects.project_updated(e.county_code), lambda: updated(update(name="城西科创产业园")), TRACKER_RETRY,
                 id="tracker-on_project_updated"),
    pytest.param(escalation_router, lambda e: subjects.project_changed(e.county_code), state_changed, ESCALATION_RETRY,
                 id="escalation-on_project_changed"),
    pytest.param(notifier_router, lambda e: subjects.escalation(e.county_code, e.kind), raised, NOTIFIER_RETRY,
                 id="notifier-on_escalation_event"),
]


class Acks:
    """What the subscriber told JetStream about the message: nak (retry) or term (poison)."""

    def __init__(self) -> None:
        self.ack, self.nak, self.term = AsyncMock(), AsyncMock(), AsyncMock()


@pytest.fixture
def acks() -> Iterator[Acks]:
    spy = Acks()
    with patch.object(PatchedMessage, "ack", spy.ack), patch.object(PatchedMessage, "nak", spy.nak), patch.object(PatchedMessage, "term", spy.term):
        yield spy


def broker_with(router: NatsRouter) -> NatsBroker:
    broker = NatsBroker()
    broker.include_router(router)
    return broker


async def publish(test_broker: Any, body: bytes, subject: str, headers: dict[str, str] | None = None) -> None:
    await test_broker.publish(body, subject, headers=headers or {})


@pytest.mark.parametrize(("build_router", "subject_of", "make_event", "retry_delay"), SERVICES)
async def test_a_valid_event_reaches_the_committer_decoded_and_is_acked(build_router, subject_of, make_event, retry_delay, acks: Acks) -> None:
    committer = FakeCommitter()
    event: Event = make_event()
    async with TestNatsBroker(broker_with(build_router(committer, workers=4))) as broker:
        await publish(broker, event.model_dump_json().encode(), subject_of(event), headers_for(event))
    assert committer.items == [event]
    assert type(committer.items[0]) is type(event)
    acks.ack.assert_awaited_once()
    acks.nak.assert_not_awaited()
    acks.term.assert_not_awaited()


def invalid_bodies(event: Event) -> list[tuple[str, bytes]]:
    data = event.model_dump(mode="json")

    def body(**changes: Any) -> bytes:
        fields = {**data, **changes}
        return json.dumps({k: v for k, v in fields.items() if v is not DROP}, ensure_ascii=False).encode()

    return [
        ("not-json", b"\xff{not json"),
        ("json-but-not-an-object", b"[1, 2, 3]"),
        ("bad-county-code", body(county_code="33A106")),
        ("unknown-field", body(surprise=1)),
        ("missing-event-id", body(event_id=DROP)),
    ]


@pytest.mark.parametrize(("build_router", "subject_of", "make_event", "retry_delay"), SERVICES)
async def test_an_invalid_body_never_reaches_the_committer_and_is_terminated(build_router, subject_of, make_event, retry_delay, acks: Acks) -> None:
    committer = FakeCommitter()
    event: Event = make_event()
    bodies = invalid_bodies(event)
    async with TestNatsBroker(broker_with(build_router(committer, workers=4))) as broker:
        for name, body in bodies:
            # TestNatsBroker re-raises what escaped the handler; on a real server the middleware sees it the same way.
            with pytest.raises(ValidationError):
                await publish(broker, body, subject_of(event), {"Nats-Msg-Id": f"bad-{name}"})
    assert committer.items == []
    assert acks.term.await_count == len(bodies)  # terminated: JetStream will not redeliver a poison message
    acks.nak.assert_not_awaited()
    acks.ack.assert_not_awaited()


@pytest.mark.parametrize(("build_router", "subject_of", "make_event", "retry_delay"), SERVICES)
async def test_a_database_outage_is_a_delayed_retry_not_a_crash(build_router, subject_of, make_event, retry_delay, acks: Acks) -> None:
    committer = FakeCommitter(error=db_outage())
    event: Event = make_event()
    async with TestNatsBroker(broker_with(build_router(committer, workers=4))) as broker:
        # NackMessage is handled by FastStream: nothing is raised to the publisher...
        await publish(broker, event.model_dump_json().encode(), subject_of(event), headers_for(event))
    # ...and JetStream is told to redeliver later, not to drop the message.
    acks.nak.assert_awaited_once_with(delay=retry_delay)
    acks.term.assert_not_awaited()
    acks.ack.assert_not_awaited()
    assert retry_delay > 0


@pytest.mark.parametrize("error", [pytest.param(ConcurrentUpdate("p-1"), id="concurrent-update"), pytest.param(ConnectionResetError(), id="os-error")])
async def test_tracker_retries_a_concurrent_update_and_a_lost_connection(error: BaseException, acks: Acks) -> None:
    committer = FakeCommitter(error=error)
    event = updated(update(name="城西科创产业园"))
    async with TestNatsBroker(broker_with(tracker_router(committer, workers=4))) as broker:
        await publish(broker, event.model_dump_json().encode(), subjects.project_updated(COUNTY), headers_for(event))
    acks.nak.assert_awaited_once_with(delay=TRACKER_RETRY)
    acks.term.assert_not_awaited()


async def test_a_bug_in_processing_is_terminated_as_poison_not_retried_forever(acks: Acks) -> None:
    committer = FakeCommitter(error=KeyError("bug"))
    event = updated(update(name="城西科创产业园"))
    async with TestNatsBroker(broker_with(tracker_router(committer, workers=4))) as broker:
        with pytest.raises(KeyError):
            await publish(broker, event.model_dump_json().encode(), subjects.project_updated(COUNTY), headers_for(event))
    acks.term.assert_awaited_once()
    acks.nak.assert_not_awaited()


async def test_notifier_decodes_each_escalation_kind_to_its_own_type(acks: Acks) -> None:
    committer = FakeCommitter()
    events = [raised(), escalated(event_id=uuid.uuid4()), resolved(event_id=uuid.uuid4())]
    async with TestNatsBroker(broker_with(notifier_router(committer, workers=4))) as broker:
        for event in events:
            await publish(broker, event.model_dump_json().encode(), subjects.escalation(event.county_code, event.kind), headers_for(event))
    assert committer.items == events
    assert [type(item) for item in committer.items] == [type(event) for event in events]


async def test_notifier_rejects_an_unknown_escalation_kind(acks: Acks) -> None:
    committer = FakeCommitter()
    body = raised().model_dump_json().encode().replace(b'"kind":"raised"', b'"kind":"closed"')
    assert b'"closed"' in body
    async with TestNatsBroker(broker_with(notifier_router(committer, workers=4))) as broker:
        with pytest.raises(ValidationError):
            await publish(broker, body, subjects.escalation(COUNTY, "closed"))
    assert committer.items == []
    acks.term.assert_awaited_once()


async def test_each_subscriber_listens_to_every_county_but_only_its_own_events(acks: Acks) -> None:
    tracker, escalation, notifier = FakeCommitter(), FakeCommitter(), FakeCommitter()
    broker = NatsBroker()
    broker.include_router(tracker_router(tracker, workers=1))
    broker.include_router(escalation_router(escalation, workers=1))
    broker.include_router(notifier_router(notifier, workers=1))
    other_county = updated(update(name="义乌项目"), county="330782")
    changed, alarm = state_changed(), raised()
    async with TestNatsBroker(broker) as test_broker:
        await publish(test_broker, other_county.model_dump_json().encode(), subjects.project_updated("330782"))
        await publish(test_broker, changed.model_dump_json().encode(), subjects.project_changed(COUNTY))
        await publish(test_broker, alarm.model_dump_json().encode(), subjects.escalation(COUNTY, "raised"))
    assert tracker.items == [other_county]
    assert escalation.items == [changed]
    assert notifier.items == [alarm]


# --- the dead-letter middleware in front of a subscriber ---------------------------------------------

@pytest.fixture
async def dead_letter_db(tmp_path) -> AsyncIterator[async_sessionmaker]:
    engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'tracker.db'}")
    async with engine.begin() as connection:
        await connection.run_sync(dead_letters.metadata.create_all)
    yield async_sessionmaker(engine, expire_on_commit=False)
    await engine.dispose()


def tracker_with_dead_letters(committer: FakeCommitter, sessions: async_sessionmaker) -> NatsBroker:
    broker = NatsBroker()
    broker.add_middleware(DeadLetters(sessions, dead_letters, CollectorRegistry(), "tracker").middleware())
    broker.include_router(tracker_router(committer, workers=4))
    return broker


async def kept_message_ids(sessions: async_sessionmaker) -> list[str | None]:
    async with sessions() as session:
        return list((await session.execute(select(dead_letters.c.message_id).order_by(dead_letters.c.id))).scalars())


async def test_a_poison_message_is_kept_with_its_reason_then_terminated(dead_letter_db: async_sessionmaker, acks: Acks) -> None:
    committer = FakeCommitter()
    async with TestNatsBroker(tracker_with_dead_letters(committer, dead_letter_db)) as broker:
        with pytest.raises(ValidationError):
            await publish(broker, b"{not json", subjects.project_updated(COUNTY), {"Nats-Msg-Id": "poison-1"})
    assert await kept_message_ids(dead_letter_db) == ["poison-1"]
    async with dead_letter_db() as session:
        row = (await session.execute(select(dead_letters))).mappings().one()
    assert row["payload"] == b"{not json"
    assert row["reason"].startswith("ValidationError")
    acks.term.assert_awaited_once()


async def test_a_retry_the_handler_asked_for_is_not_a_dead_letter(dead_letter_db: async_sessionmaker, acks: Acks) -> None:
    committer = FakeCommitter(error=db_outage())
    event = updated(update(name="城西科创产业园"))
    async with TestNatsBroker(tracker_with_dead_letters(committer, dead_letter_db)) as broker:
        await publish(broker, event.model_dump_json().encode(), subjects.project_updated(COUNTY), headers_for(event))
    assert await kept_message_ids(dead_letter_db) == []
    acks.nak.assert_awaited_once_with(delay=TRACKER_RETRY)
    acks.term.assert_not_awaited()


async def test_a_poison_message_that_cannot_be_kept_is_not_terminated(tmp_path, acks: Acks) -> None:
    """The database that keeps dead letters is away: terminating now would lose the message for good
    (it is neither processed nor kept). It must be left for redelivery instead."""
    unreachable = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'missing-dir' / 'tracker.db'}")
    try:
        async with TestNatsBroker(tracker_with_dead_letters(FakeCommitter(), async_sessionmaker(unreachable))) as broker:
            with contextlib.suppress(Exception):
                await publish(broker, b"{not json", subjects.project_updated(COUNTY), {"Nats-Msg-Id": "poison-2"})
    finally:
        await unreachable.dispose()
    acks.term.assert_not_awaited()
    acks.nak.assert_awaited_once()
