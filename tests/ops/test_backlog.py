"""Consumer backlog gauges read from a real JetStream, and a service that survives NATS going away."""
from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

import nats
from nats.js.api import AckPolicy, ConsumerConfig
from prometheus_client import CollectorRegistry

from shared.backlog import ConsumerBacklog

STREAM, SUBJECT, DURABLE = "OPS_TEST", "county.330106.project.updated", "tracker-project-updated"


@dataclass
class Durable:
    stream: str = STREAM
    durable: str = DURABLE


def gauge(registry: CollectorRegistry, name: str) -> float | None:
    return registry.get_sample_value(f"tracker_consumer_{name}_messages", {"consumer": DURABLE})


async def gauges_reach(backlog: ConsumerBacklog, nc: nats.NATS, registry: CollectorRegistry,
                       expected: tuple[int, int, int], timeout: float = 10) -> None:
    """Read until the gauges show `expected`: JetStream updates a consumer's counters a moment after the
    publish or the ack was answered, which a loaded box can catch in between."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        assert await backlog.read_once(nc)
        seen = (gauge(registry, "pending"), gauge(registry, "ack_pending"), gauge(registry, "redelivered"))
        if seen == expected:
            return
        assert asyncio.get_running_loop().time() < deadline, f"gauges {seen}, expected {expected}"
        await asyncio.sleep(0.05)


async def test_pending_ack_pending_and_redelivered_come_from_jetstream(nats_server) -> None:
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await js.add_stream(name=STREAM, subjects=[SUBJECT])
    await js.add_consumer(STREAM, ConsumerConfig(durable_name=DURABLE, ack_policy=AckPolicy.EXPLICIT, ack_wait=30))
    for number in range(5):
        await js.publish(SUBJECT, f"update {number}".encode())
    registry = CollectorRegistry()
    backlog = ConsumerBacklog(registry, "tracker", [Durable()])
    try:
        await gauges_reach(backlog, nc, registry, (5, 0, 0))

        subscription = await js.pull_subscribe_bind(DURABLE, STREAM)
        first, second = await subscription.fetch(2, timeout=2)
        await first.ack()
        await second.nak()  # delivered again: a redelivery, then left unacked
        deliveries: list[int] = []
        while 2 not in deliveries:  # the nak and the next pull race inside the server: fetch until it is back
            deliveries += [message.metadata.num_delivered for message in await subscription.fetch(4, timeout=2)]
        assert sorted(deliveries) == [1, 1, 1, 2]  # the three never delivered, and the nak'd one again
        await gauges_reach(backlog, nc, registry, (0, 4, 1))
    finally:
        await nc.close()


async def test_nats_away_never_fails_and_keeps_the_last_values(nats_server) -> None:
    nc = await nats.connect(nats_server.url, max_reconnect_attempts=-1, reconnect_time_wait=0.2)
    js = nc.jetstream()
    await js.add_stream(name=STREAM, subjects=[SUBJECT])
    await js.add_consumer(STREAM, ConsumerConfig(durable_name=DURABLE, ack_policy=AckPolicy.EXPLICIT))
    await js.publish(SUBJECT, b"one")
    deadline = asyncio.get_running_loop().time() + 10
    while (await js.consumer_info(STREAM, DURABLE)).num_pending != 1:  # counted a moment after the publish (gauges_reach)
        assert asyncio.get_running_loop().time() < deadline, "JetStream never counted the message pending"
        await asyncio.sleep(0.05)
    registry = CollectorRegistry()
    backlog = ConsumerBacklog(registry, "tracker", [Durable(), Durable(durable="not-created-yet")],
                              interval_seconds=0.05, timeout_seconds=0.5)
    try:
        assert not await backlog.read_once(nc)  # one durable missing: the other is still read
        assert gauge(registry, "pending") == 1
        rounds: list[bool] = []
        read_once = backlog.read_once

        async def counted(client: nats.NATS) -> bool:
            rounds.append(await read_once(client))
            return rounds[-1]

        backlog.read_once = counted  # type: ignore[method-assign]  # the periodic round calls it by name
        backlog.start(nc)
        nats_server.stop()
        rounds.clear()  # count from here: every round fails (one durable is missing even with NATS there)
        deadline = asyncio.get_running_loop().time() + 30
        while len(rounds) < 3:  # several rounds against a server that is gone
            assert asyncio.get_running_loop().time() < deadline, f"rounds so far: {rounds}"
            await asyncio.sleep(0.05)
        assert backlog.running and not any(rounds)
        backlog.read_once = read_once  # type: ignore[method-assign]
        assert not await backlog.read_once(nc)
        assert gauge(registry, "pending") == 1
        await backlog.stop()
        assert not backlog.running
    finally:
        with contextlib.suppress(ConnectionResetError):  # nats-py's close flushes to a server that is gone
            await nc.close()


async def test_stop_without_start_is_harmless() -> None:
    await ConsumerBacklog(CollectorRegistry(), "notifier", []).stop()
