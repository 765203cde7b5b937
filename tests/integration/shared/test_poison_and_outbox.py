"""The plumbing under every service, on a real nats-server and real databases.

Poison messages are kept and never redelivered; the outbox loses nothing across a crash or a NATS
outage and publishes nothing twice; a batch commit on real JetStream messages isolates a bad item
and a transient failure is redelivered after its delay.
"""
from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path

import nats
import pytest
from nats.js.api import AckPolicy, ConsumerConfig
from prometheus_client import CollectorRegistry
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

import services.tracker
from services.tracker.app import build
from services.tracker.settings import Settings
from services.tracker.tables import dead_letters, outbox
from shared import subjects
from shared.batching import BatchCommitter
from shared.contracts import ProjectUpdated
from shared.db import make_engine, migrate, session_factory
from shared.dead_letters import DeadLetters
from shared.messaging import ACK_WAIT_SECONDS, MAX_DELIVER, connect, ensure_streams, headers_for
from shared.outbox import OutboxRelay
from shared.persistence import add_to_outbox, utcnow
from tests.conftest import NatsServer
from tests.support.factories import CODE, COUNTY, update, updated
from tests.support.services import eventually, running

pytestmark = pytest.mark.asyncio

TRACKER_MIGRATIONS = Path(services.tracker.__file__).parent / "migrations"


# --- a. poison messages ----------------------------------------------------------------------------

async def test_poison_messages_are_kept_terminated_and_never_block_good_ones(nats_server, database) -> None:
    url, schema = database
    http = build(Settings(nats_url=nats_server.url, database_url=url, database_schema=schema))
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await ensure_streams(js)
    subject = subjects.project_updated(COUNTY)
    good = updated(update(name="城西科创产业园", stage="started"))
    not_json = b"\x00{this is not json"
    invalid = json.dumps({"event_id": "not-a-uuid", "county_code": COUNTY, "update": {"name": "缺少来源"}}, ensure_ascii=False).encode()
    engine = make_engine(url, schema)
    try:
        async with running(http) as client:
            await js.publish(subject, not_json, headers={"Nats-Msg-Id": "poison-not-json"})
            await js.publish(subject, invalid, headers={"Nats-Msg-Id": "poison-invalid"})
            await js.publish(subject, good.model_dump_json().encode(), headers=headers_for(good))

            async def applied():
                response = await client.get(f"/internal/counties/{COUNTY}/projects/{CODE}")
                return response.json() if response.status_code == 200 else None

            body = await eventually(applied)
            assert body["facts"]["name"] == "城西科创产业园"

            async def kept():
                async with engine.connect() as connection:
                    rows = (await connection.execute(select(dead_letters).order_by(dead_letters.c.id))).mappings().all()
                return rows if len(rows) >= 2 else None

            rows = {row["message_id"]: row for row in await eventually(kept, timeout=10)}
            assert set(rows) == {"poison-not-json", "poison-invalid"}, "KeepPoison did not see the failures (or kept a good message)"
            assert bytes(rows["poison-not-json"]["payload"]) == not_json
            assert bytes(rows["poison-invalid"]["payload"]) == invalid
            for row in rows.values():
                assert row["subject"] == subject
                assert row["reason"].startswith("ValidationError"), row["reason"]
                assert row["headers"]["Nats-Msg-Id"] == row["message_id"]
            assert "event_id" in rows["poison-invalid"]["reason"]  # names the field that is wrong
            assert "ProjectUpdated" in rows["poison-not-json"]["reason"]

            metrics = (await client.get("/metrics/", follow_redirects=True)).text
            assert 'tracker_dead_letters_total{subject_kind="project.updated"} 2.0' in metrics

            # Terminated, not left to redeliver: nothing pending, nothing awaiting an ack, each delivered once.
            async def settled():  # terminated shows as nothing awaiting an ack; a nak or a lapse would keep one in flight
                info = await js.consumer_info(subjects.UPDATES.name, subjects.TRACKER_ON_PROJECT_UPDATED)
                return info if (info.num_pending, info.num_ack_pending) == (0, 0) else None

            info = await eventually(settled, timeout=15)
            assert info.num_redelivered == 0
            assert info.delivered.consumer_seq == 3
            async with engine.connect() as connection:
                assert (await connection.execute(select(func.count()).select_from(dead_letters))).scalar_one() == 2
    finally:
        await engine.dispose()
        await nc.close()


# --- b. outbox relay -------------------------------------------------------------------------------

def three_events():
    return [updated(update(name=f"项目{i}", record_id=f"r-{i}")) for i in range(3)]


async def insert_outbox(sessions, events) -> None:
    async with sessions() as session, session.begin():
        await add_to_outbox(session, outbox, [(event, subjects.project_updated(COUNTY)) for event in events], utcnow())


async def outbox_count(sessions) -> int:
    async with sessions() as session:
        return (await session.execute(select(func.count()).select_from(outbox))).scalar_one()


async def stream_event_ids(js) -> list[str]:
    info = await js.stream_info(subjects.UPDATES.name)
    ids = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1) if info.state.messages else ():
        message = await js.get_msg(subjects.UPDATES.name, seq)
        ids.append(json.loads(message.data)["event_id"])
    assert len(ids) == info.state.messages
    return ids


@pytest.fixture
async def outbox_and_stream(nats_server, database):  # type: ignore[no-untyped-def]
    """tracker's outbox on a fresh database, and JetStream with the streams: (sessions, js)."""
    url, schema = database
    await migrate(TRACKER_MIGRATIONS, url, schema)
    engine = make_engine(url, schema)
    nc = await connect(nats_server.url, "test-relay")
    js = nc.jetstream()
    await ensure_streams(js)
    yield session_factory(engine), js
    await nc.close()
    await engine.dispose()


async def test_outbox_relay_publishes_in_order_and_a_crash_before_delete_publishes_nothing_twice(outbox_and_stream) -> None:  # type: ignore[no-untyped-def]
    sessions, js = outbox_and_stream
    relay = OutboxRelay(sessions, outbox, js, CollectorRegistry(), "test")
    events = three_events()
    await insert_outbox(sessions, events)
    assert await relay.relay_once() == 3
    assert await outbox_count(sessions) == 0
    assert await stream_event_ids(js) == [str(e.event_id) for e in events]

    # The process published, then died before its delete committed: the same rows come back.
    await insert_outbox(sessions, events)
    assert await relay.relay_once() == 3
    assert await outbox_count(sessions) == 0
    assert await stream_event_ids(js) == [str(e.event_id) for e in events]  # JetStream dropped the duplicates
    assert await relay.relay_once() == 0


async def test_a_running_relay_publishes_what_commits_at_once_and_never_what_rolls_back(outbox_and_stream) -> None:  # type: ignore[no-untyped-def]
    sessions, js = outbox_and_stream
    relay = OutboxRelay(sessions, outbox, js, CollectorRegistry(), "test", poll_seconds=3600)  # no reading of the table after the first
    relay.start()
    kept, dropped = three_events(), [updated(update(name="撤回的", record_id="r-x"))]
    try:
        async with sessions() as session:  # one session, two transactions: the first rolls back
            with pytest.raises(RuntimeError):
                async with session.begin():
                    await add_to_outbox(session, outbox, [(event, subjects.project_updated(COUNTY)) for event in dropped], utcnow())
                    raise RuntimeError("the batch failed after writing its events")
            async with session.begin():
                await add_to_outbox(session, outbox, [(event, subjects.project_updated(COUNTY)) for event in kept], utcnow())

        async def published_and_deleted() -> bool:
            return len(await stream_event_ids(js)) == 3 and await outbox_count(sessions) == 0

        await eventually(published_and_deleted, timeout=10)
        assert await stream_event_ids(js) == [str(e.event_id) for e in kept]
    finally:
        await relay.stop()


async def test_outbox_keeps_its_rows_while_nats_is_down_and_publishes_them_once_it_is_back(tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'relay.db'}"
    await migrate(TRACKER_MIGRATIONS, url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    server = NatsServer(tmp_path / "nats")
    server.start()
    nc = await connect(server.url, "test-relay")  # reconnects forever, like the services
    try:
        js = nc.jetstream()
        await ensure_streams(js)
        relay = OutboxRelay(sessions, outbox, js, CollectorRegistry(), "test")
        events = three_events()
        await insert_outbox(sessions, events)
        server.stop()

        try:
            published = await relay.relay_once()  # waits for acks that cannot come (publish_all's timeout)
        except Exception:  # noqa: BLE001 - any failure will do, as long as the rows stay
            published = 0
        assert published == 0
        assert await outbox_count(sessions) == 3

        server.start()  # same port and store: the client reconnects by itself
        await eventually(lambda: asyncio.sleep(0, nc.is_connected), timeout=15)

        async def relayed():
            try:
                return await relay.relay_once() or await outbox_count(sessions) == 0
            except Exception:  # noqa: BLE001 - the reconnect may still be settling
                return False

        await eventually(relayed, timeout=15)
        assert await outbox_count(sessions) == 0
        # Whatever the client buffered during the outage and flushed on reconnect was deduplicated.
        assert await stream_event_ids(js) == [str(e.event_id) for e in events]
    finally:
        await nc.close()
        server.stop()
        await engine.dispose()


# --- c. batch commit on real JetStream messages ----------------------------------------------------

async def test_a_batch_of_real_messages_is_retried_after_its_delay_then_isolates_its_bad_item(nats_server, tmp_path) -> None:
    """What tests/handlers checks on fakes, against nats-server: the nak delay is honoured (nothing
    comes back before it, everything after), and a terminated item is never redelivered."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'batch.db'}"
    await migrate(TRACKER_MIGRATIONS, url)
    engine = make_engine(url)
    registry = CollectorRegistry()
    poison = DeadLetters(session_factory(engine), dead_letters, registry, "tracker")
    events = [updated(update(name=f"项目{i}", record_id=f"r-{i}")) for i in range(5)]
    culprit = events[2].event_id
    calls: list[list[str]] = []
    committed: list[str] = []

    async def process(items: Sequence[ProjectUpdated]) -> None:
        calls.append([str(item.event_id) for item in items])
        if len(calls) == 1:
            raise OperationalError("x", {}, Exception())  # the database is away for the first attempt
        if any(item.event_id == culprit for item in items):
            raise ValueError("bad item")
        committed.extend(str(item.event_id) for item in items)

    committer = BatchCommitter(process, poison)
    nc = await connect(nats_server.url, "test-batch")
    js = nc.jetstream(timeout=30)  # JetStream API calls on a box loaded by the parallel suite may take seconds
    try:
        await ensure_streams(js)
        for event in events:
            await js.publish(subjects.project_updated(COUNTY), event.model_dump_json().encode(), headers=headers_for(event))
        sub = await js.pull_subscribe(subjects.project_updated(), durable="test-batch", stream=subjects.UPDATES.name,
                                      config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=ACK_WAIT_SECONDS, max_deliver=MAX_DELIVER))

        async def round_() -> tuple[str, list]:
            deadline = asyncio.get_running_loop().time() + 15
            while True:  # pull until the messages are there: a loaded box may hand back the nak'd ones late
                try:
                    messages = await sub.fetch(10, timeout=2)
                    break
                except TimeoutError:  # nats-py's fetch raises its own TimeoutError or, near the deadline, asyncio's (its base)
                    assert asyncio.get_running_loop().time() < deadline, "no messages within 15 s"
            return await committer.handle([ProjectUpdated.model_validate_json(m.data) for m in messages], messages), messages

        outcome, first = await round_()
        nakked_at = asyncio.get_running_loop().time()
        assert (outcome, len(first)) == ("retried", 5)
        with pytest.raises(TimeoutError):  # the 2 s delay holds them back
            await sub.fetch(10, timeout=1)

        outcome, second = await round_()
        assert asyncio.get_running_loop().time() - nakked_at >= 1.5
        assert (outcome, len(second)) == ("isolated", 5)
        assert [m.metadata.num_delivered for m in second] == [2] * 5
        assert sorted(committed) == sorted(str(e.event_id) for e in events if e.event_id != culprit)

        async with engine.connect() as connection:
            rows = (await connection.execute(select(dead_letters))).mappings().all()
        assert [(row["message_id"], row["reason"]) for row in rows] == [(str(culprit), "ValueError: bad item")]

        with pytest.raises(TimeoutError):  # acked and terminated: nothing comes back
            await sub.fetch(10, timeout=1)
        info = await js.consumer_info(subjects.UPDATES.name, "test-batch")
        assert (info.num_pending, info.num_ack_pending) == (0, 0)
    finally:
        await nc.close()
        await engine.dispose()
