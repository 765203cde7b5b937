"""A consumer's settings reach its durable at every start, not only when the durable is first created: a service
redeployed with another ack wait (`<SERVICE>_NATS_ACK_WAIT_SECONDS`) runs with it, and consumes as before."""
from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from prometheus_client import CollectorRegistry
from pydantic import ValidationError

from services.tracker.handlers import build_consumer
from services.tracker.settings import Settings as TrackerSettings
from shared import subjects
from shared.batching import BatchCommitter
from shared.consumer import ConsumerMetrics
from shared.contracts import ProjectUpdated
from shared.messaging import connect, ensure_streams, headers_for
from shared.runtime import Runtime
from tests.support.factories import update, updated


def test_the_ack_wait_is_read_from_the_service_s_environment_and_a_useless_one_is_refused(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TRACKER_NATS_ACK_WAIT_SECONDS", "12")
    settings = TrackerSettings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 't.db'}")  # type: ignore[call-arg]
    assert Runtime.of("tracker", settings, tmp_path, None).ack_wait == 12
    monkeypatch.setenv("TRACKER_NATS_ACK_WAIT_SECONDS", "0")  # every message handed out again at once, forever
    with pytest.raises(ValidationError, match="nats_ack_wait_seconds"):
        TrackerSettings(_env_file=None)  # type: ignore[call-arg]


async def test_a_changed_ack_wait_reaches_the_existing_durable_and_it_still_consumes(nats_server) -> None:
    committed: list[str] = []

    async def process(items: Sequence[ProjectUpdated]) -> None:
        committed.extend(str(item.event_id) for item in items)

    def deployment():  # noqa: ANN202 - one start of the service's consumer
        return build_consumer(BatchCommitter(process, None), None, ConsumerMetrics(CollectorRegistry(), "tracker"))  # type: ignore[arg-type]

    nc = await connect(nats_server.url, "test-durable-settings")
    js = nc.jetstream(timeout=30)
    try:
        await ensure_streams(js)
        first = deployment()
        await first.start(nc, ack_wait=30)
        await first.stop()
        assert (await js.consumer_info(subjects.UPDATES.name, first.durable)).config.ack_wait == 30

        second = deployment()
        await second.start(nc, ack_wait=5)
        try:
            assert (await js.consumer_info(subjects.UPDATES.name, second.durable)).config.ack_wait == 5
            event = updated(update(name="城西科创产业园", record_id="r-1"))
            await js.publish(subjects.project_updated(event.county_code), event.model_dump_json().encode(), headers=headers_for(event))
            async with asyncio.timeout(15):
                while committed != [str(event.event_id)]:
                    await asyncio.sleep(0.02)
        finally:
            await second.stop()
    finally:
        await nc.close()
