"""A trickle of updates is not stranded: each one is through tracker in well under ack_wait.

The failure this guards against: a batch pull that keeps waiting to fill its batch (FastStream's
`PullSub(batch=True)`, issue #2219) held single messages until ack_wait expired and they were
redelivered, so a quiet county saw its updates tens of seconds late. Here 20 updates arrive one
every 100 ms, and each one's ProjectStateChanged must come out promptly.
"""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from services.tracker.app import build
from services.tracker.settings import Settings
from shared import subjects
from shared.contracts import ProjectStateChanged
from shared.messaging import ACK_WAIT_SECONDS, connect, ensure_streams, headers_for
from tests.support.factories import update, updated
from tests.support.services import running

pytestmark = pytest.mark.asyncio

UPDATES = 20
INTERVAL_SECONDS = 0.1
MAX_LATENCY_SECONDS = 3.0


async def test_a_trickle_of_updates_is_never_stranded_until_ack_wait(nats_server, tmp_path) -> None:
    assert MAX_LATENCY_SECONDS < ACK_WAIT_SECONDS / 5
    http = build(Settings(nats_url=nats_server.url, database_url=f"sqlite+aiosqlite:///{tmp_path / 'tracker.db'}"))
    nc = await connect(nats_server.url, "test-trickle")
    loop = asyncio.get_running_loop()
    arrived: dict[UUID, float] = {}
    everything_arrived = asyncio.Event()

    async def on_changed(message) -> None:  # noqa: ANN001 - a core NATS message
        event = ProjectStateChanged.model_validate_json(message.data)
        arrived.setdefault(event.caused_by, loop.time())
        if len(arrived) >= UPDATES:
            everything_arrived.set()

    try:
        js = nc.jetstream()
        await ensure_streams(js)
        await nc.subscribe(subjects.project_changed(), cb=on_changed)
        await nc.flush()
        start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
        # Every update changes the project (a newer record with a new name), so each causes one change.
        events = [updated(update(record_time=start + timedelta(minutes=i), record_id=f"r-{i}", name=f"项目{i}")) for i in range(UPDATES)]
        published: dict[UUID, float] = {}
        async with running(http):
            await asyncio.sleep(0.3)  # the consumer is pulling and idle: the quiet county the bug hurt
            for event in events:
                published[event.event_id] = loop.time()
                await js.publish(subjects.project_updated(event.county_code), event.model_dump_json().encode(), headers=headers_for(event))
                await asyncio.sleep(INTERVAL_SECONDS)
            try:
                await asyncio.wait_for(everything_arrived.wait(), MAX_LATENCY_SECONDS + 2)
            except TimeoutError:
                pass

        missing = [str(e.event_id) for e in events if e.event_id not in arrived]
        assert not missing, f"{len(missing)} of {UPDATES} updates never came out of tracker"
        latencies = sorted(arrived[e.event_id] - published[e.event_id] for e in events)
        report = f"latency min {latencies[0]:.3f}s, median {latencies[len(latencies) // 2]:.3f}s, max {latencies[-1]:.3f}s"
        print(report)
        assert latencies[-1] < MAX_LATENCY_SECONDS, report
    finally:
        await nc.close()
