"""Dead letters as an operator sees them, on a real nats-server and real databases: a message that
failed for good is kept with its reason and counted, listed, replayed once after a fix (then applied),
and one JetStream stopped delivering after max_deliver is picked up from the advisory."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

import nats
import pytest
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig
from prometheus_client import CollectorRegistry
from sqlalchemy import select
from typer.testing import CliRunner

import services.tracker
from services.deadletters_cli import app as cli
from services.tracker.app import build
from services.tracker.settings import Settings
from services.tracker.tables import dead_letters
from shared import subjects
from shared.db import make_engine, migrate, session_factory
from shared.dead_letters import REPLAY_OF_HEADER, DeadLetters, list_dead_letters, replay
from shared.max_deliveries import MaxDeliveriesWatcher
from shared.messaging import ensure_streams, headers_for
from tests.support.factories import CODE, COUNTY, update, updated
from tests.support.services import eventually, running

TRACKER_MIGRATIONS = Path(services.tracker.__file__).parent / "migrations"


def kept_message(event) -> Msg:  # noqa: ANN001 - an Event
    """A good event as a consumer received it: what a bug fixed since would have dead-lettered."""
    return Msg(_client=None, subject=subjects.project_updated(COUNTY), data=event.model_dump_json().encode(), headers=headers_for(event))


async def test_kept_messages_are_listed_and_replayed_once_after_a_fix(nats_server, database) -> None:
    url, schema = database
    http = build(Settings(nats_url=nats_server.url, database_url=url, database_schema=schema))
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await ensure_streams(js)
    engine = make_engine(url, schema)
    sessions = session_factory(engine)
    try:
        async with running(http) as client:
            await js.publish(subjects.project_updated(COUNTY), b"\x00not json", headers={"Nats-Msg-Id": "poison-1"})

            async def listed():
                return await list_dead_letters(sessions, dead_letters, limit=10)

            [poison] = await eventually(listed, timeout=10)
            assert (poison["message_id"], poison["subject"], poison["replayed_at"]) == ("poison-1", subjects.project_updated(COUNTY), None)
            assert poison["reason"].startswith("ValidationError")

            # "The fix": a good event that an earlier build dead-lettered, kept through the same path.
            event = updated(update(name="城东物流园", stage="started"))
            await DeadLetters(sessions, dead_letters, CollectorRegistry(), "tracker").keep_raw(kept_message(event), "RuntimeError: bug 42")
            pending = await list_dead_letters(sessions, dead_letters, limit=10)
            assert [row["message_id"] for row in pending] == [str(event.event_id), "poison-1"]  # newest first
            good_id = pending[0]["id"]

            assert await replay(sessions, dead_letters, js, [good_id]) == 1

            async def applied():
                response = await client.get(f"/internal/counties/{COUNTY}/projects/{CODE}")
                return response.json() if response.status_code == 200 else None

            assert (await eventually(applied))["facts"]["name"] == "城东物流园"
            assert [row["id"] for row in await list_dead_letters(sessions, dead_letters, limit=10)] == [poison["id"]]
            [replayed] = [row for row in await list_dead_letters(sessions, dead_letters, 10, include_replayed=True) if row["id"] == good_id]
            assert replayed["replayed_at"] is not None

            # Again: nothing goes out, by id or all of them, unless forced.
            assert await replay(sessions, dead_letters, js, [good_id]) == 0
            info = await js.stream_info(subjects.UPDATES.name)
            assert info.state.messages == 2  # the poison and the one replay
            replayed_message = await js.get_msg(subjects.UPDATES.name, info.state.last_seq)
            assert replayed_message.headers[REPLAY_OF_HEADER] == str(event.event_id)
            assert replayed_message.headers["Nats-Msg-Id"] != str(event.event_id)  # a new id, past the duplicate window
            metrics = (await client.get("/metrics/", follow_redirects=True)).text
            assert 'tracker_dead_letters_total{subject_kind="project.updated"} 1.0' in metrics  # the poison; the replay applied
    finally:
        await engine.dispose()
        await nc.close()


async def test_a_message_past_max_deliver_is_kept_from_the_advisory(nats_server, tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'watch.db'}"
    await migrate(TRACKER_MIGRATIONS, url)
    engine = make_engine(url)
    sessions = session_factory(engine)
    registry = CollectorRegistry()
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    watcher = MaxDeliveriesWatcher(DeadLetters(sessions, dead_letters, registry, "test"), "DLTEST", "test-dl")
    try:
        await js.add_stream(StreamConfig(name="DLTEST", subjects=["test.dl.>"]))
        await watcher.start(nc)
        sub = await js.pull_subscribe("test.dl.>", durable="test-dl", stream="DLTEST",
                                      config=ConsumerConfig(ack_policy=AckPolicy.EXPLICIT, ack_wait=0.5, max_deliver=2))
        await js.publish("test.dl.item.stuck", b'{"n": 1}', headers={"Nats-Msg-Id": "stuck-1"})

        for attempt in (1, 2):  # received, never acked: redelivered once after ack_wait, then given up
            [message] = await sub.fetch(1, timeout=3)
            assert message.metadata.num_delivered == attempt
        with pytest.raises(TimeoutError):  # a pull across the second ack_wait: JetStream gives up, does not deliver
            await sub.fetch(1, timeout=2)

        async def kept():
            async with engine.connect() as connection:
                return (await connection.execute(select(dead_letters))).mappings().all()

        [row] = await eventually(kept, timeout=10)
        assert (row["subject"], bytes(row["payload"]), row["message_id"]) == ("test.dl.item.stuck", b'{"n": 1}', "stuck-1")
        assert row["reason"].startswith("max deliveries reached (2)"), row["reason"]
        assert registry.get_sample_value("test_dead_letters_total", {"subject_kind": "item.stuck"}) == 1.0
        assert (await js.stream_info("DLTEST")).state.messages == 1  # still in the stream, no longer delivered
    finally:
        await watcher.stop()
        await nc.close()
        await engine.dispose()


async def test_the_cli_lists_and_replays(nats_server, tmp_path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'tracker.db'}"
    await migrate(TRACKER_MIGRATIONS, url)
    engine = make_engine(url)
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await ensure_streams(js)
    event = updated(update(name="城北水厂"))
    await DeadLetters(session_factory(engine), dead_letters, CollectorRegistry(), "tracker").keep_raw(kept_message(event), "KeyError: 'x' " * 20)
    env = {"TRACKER_DATABASE_URL": url, "TRACKER_NATS_URL": nats_server.url}
    runner = CliRunner()

    async def tuijin(*args: str):  # noqa: ANN202 - a click Result
        # In a thread: the command runs its own event loop, as it does from a shell.
        return await asyncio.to_thread(runner.invoke, cli, list(args), env=env)

    try:
        listed = await tuijin("list", "--service", "tracker")
        assert listed.exit_code == 0, listed.output
        [header, line] = listed.output.splitlines()
        assert header.split()[:4] == ["ID", "KEPT", "(UTC)", "SUBJECT"]
        assert line.split()[0] == "1" and subjects.project_updated(COUNTY) in line and str(event.event_id) in line and "pending" in line
        assert "KeyError" in line and line.endswith("…")  # the reason, truncated to fit one line

        assert (await tuijin("replay", "--service", "tracker")).exit_code == 2  # neither --id nor --all
        replayed = await tuijin("replay", "--service", "tracker", "--id", "1")
        assert replayed.exit_code == 0, replayed.output
        assert "replayed 1 " in replayed.output
        again = await tuijin("replay", "--service", "tracker", "--all")
        assert "replayed 0 " in again.output

        message = await js.get_msg(subjects.UPDATES.name, 1)
        assert json.loads(message.data)["event_id"] == str(event.event_id)
        assert (await js.stream_info(subjects.UPDATES.name)).state.messages == 1

        assert (await tuijin("list", "-s", "tracker")).output.strip() == "no pending dead letters for tracker"
        assert "replayed 20" in (await tuijin("list", "-s", "tracker", "--all")).output
    finally:
        await nc.close()
        await engine.dispose()
