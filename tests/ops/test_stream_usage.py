"""Stream fill gauges read from a real JetStream: bytes and messages held against the stream's max_bytes."""
from __future__ import annotations

import nats
from prometheus_client import CollectorRegistry

from shared import subjects
from shared.messaging import ensure_streams
from shared.stream_limits import DAY_SECONDS, StreamLimits
from shared.stream_usage import StreamUsage

LIMIT = 100_000


def sample(registry: CollectorRegistry, name: str, stream: str = "UPDATES") -> float | None:
    return registry.get_sample_value(f"notifier_stream_{name}", {"stream": stream})


async def test_bytes_and_limit_come_from_the_stream(nats_server) -> None:  # noqa: ANN001 - tests/conftest.py fixture
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        await ensure_streams(js, [subjects.UPDATES], limits={"UPDATES": StreamLimits(DAY_SECONDS, LIMIT, 60)})
        for number in range(50):
            await js.publish("county.330106.project.updated", b"x" * 1000, headers={"Nats-Msg-Id": f"u{number}"})
        registry = CollectorRegistry()
        usage = StreamUsage(registry, "notifier", ["UPDATES", "ESCALATIONS"], timeout_seconds=2)
        assert not await usage.read_once(nc)  # ESCALATIONS does not exist here: UPDATES is read all the same
        held = (await js.stream_info("UPDATES")).state.bytes
        assert 50_000 < held < LIMIT
        assert (sample(registry, "bytes"), sample(registry, "max_bytes"), sample(registry, "messages")) == (held, LIMIT, 50)
        assert sample(registry, "bytes", "ESCALATIONS") is None
    finally:
        await nc.close()
