"""A consumer's fetch takes messages already queued at once, not through a task each (shared.consumer.take_queued_at_once),
and still returns every message once, in order, with nats-py's pending accounting (its slow-consumer limit) intact."""
from __future__ import annotations

import asyncio

import nats
import pytest
from nats.aio.subscription import Subscription

from shared.consumer import take_queued_at_once

pytestmark = pytest.mark.asyncio


async def test_a_fetch_takes_queued_messages_at_once_and_keeps_every_one_in_order(nats_server, monkeypatch) -> None:
    waited = 0
    stock_next_msg = Subscription.next_msg

    async def counting_next_msg(self: Subscription, timeout: float | None = 1.0):  # noqa: ANN202 - nats-py's own signature
        nonlocal waited
        waited += 1
        return await stock_next_msg(self, timeout)

    monkeypatch.setattr(Subscription, "next_msg", counting_next_msg)
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        await js.add_stream(name="FETCH", subjects=["fetch.>"])
        payloads = [f"message {i} ".encode() * 20 for i in range(1_500)]
        await asyncio.gather(*[await js.publish_async("fetch.x", payload) for payload in payloads])
        subscription = await js.pull_subscribe("fetch.x", durable="fetcher", stream="FETCH")
        take_queued_at_once(subscription._sub)

        received = []
        while len(received) < len(payloads):
            batch = await subscription.fetch(500, timeout=2)
            for message in batch:
                await message.ack()
            received += batch

        assert [m.data for m in received] == payloads
        assert (subscription._sub._pending_size, subscription._sub._pending_queue.qsize()) == (0, 0)
        # nats-py's path ran only when the queue was empty: once or a few times a fetch, never once a message.
        assert waited < len(payloads) / 10, f"{waited} waits for {len(payloads)} messages"
        # Nothing left: a fetch still waits and times out as nats-py's does. nats-py raises its own TimeoutError, or
        # asyncio's when the server's "no messages" reply lands at the deadline (seen on a loaded machine); the consumer
        # catches both (shared.consumer), and nats-py's is a subclass of asyncio's.
        with pytest.raises(TimeoutError):
            await subscription.fetch(10, timeout=0.3)
    finally:
        await nc.close()
