"""The runtime side of a subscription: a durable JetStream pull consumer on nats-py, batch by batch.

Each round fetches what is there (up to PULL_BATCH, waiting at most a second when nothing is),
decodes every message on its own (a body that does not decode is kept as a dead letter and
terminated, without holding up its neighbours), and hands the batch to a BatchCommitter: one
transaction, then the acks. Replicas share the durable, so JetStream spreads batches among them.

Why not FastStream's subscriber here (measured on the 2-core box, see README "Performance"):
its per-message path cost ~400 µs a message (2.5k msgs/s bare, against 14k for this loop), and
its batch path (`PullSub(batch=True)`) keeps re-fetching to fill a batch, which left messages
stranded until ack_wait (p99 38 s to notification, FastStream issue #2219). FastStream still
describes every subscription for AsyncAPI (each service's `app`).
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.errors import ConnectionClosedError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import ServiceUnavailableError
from prometheus_client import CollectorRegistry, Counter, Histogram

from shared.backlog import BacklogGauges, ConsumerBacklog
from shared.batching import BatchCommitter
from shared.dead_letters import DeadLetters
from shared.max_deliveries import MaxDeliveriesWatcher
from shared.messaging import ACK_WAIT_SECONDS, MAX_ACK_PENDING, MAX_DELIVER, PULL_BATCH, retry_delay

log = logging.getLogger(__name__)
FETCH_WAIT_SECONDS = 1.0
# After a small batch, wait before fetching again, as long as that batch took (group commit). A batch costs about a
# dozen statements whatever its size, and a loop that fetches again at once takes a handful of messages a time under
# moderate load (at 500/s a tracker batch held 9 on average): waiting as long as the work took doubles what
# the next batch finds, and adds at most that much latency. The pull request left open by the last fetch keeps
# delivering meanwhile, so the next fetch finds them without asking the server.
# At least LINGER_MIN_SECONDS: a batch of one or two took 2-3 ms, so under light load a consumer cycled every ~5 ms and
# spent ~1 ms of CPU a batch. The floor cut tracker's and escalation's CPU per update by a fifth at 250/s and by
# 10-22% at 500/s, for 3-7 ms more from POST to notification at the median and no change at p99 (bench.pipeline,
# alternated runs). At 1,000/s on PostgreSQL batches took 13-17 ms on average, above the floor: nothing changed there.
LINGER_MIN_SECONDS, LINGER_MAX_SECONDS, LINGER_BELOW = 0.01, 0.02, 50


def take_queued_at_once(subscription: Subscription) -> None:
    """A pull fetch takes each message of its batch with `next_msg`, which in nats-py starts a task (and `wait_for`
    another) even when the message is already queued: 16 µs of CPU a message, against 0.1 µs to take it off the queue
    (a bare fetch of 500 and ack went from 22 to 6.4 µs a message; README "Performance"; nats-py PR #862 leaves
    `next_msg` as it is). A message already there is taken at once, as `next_msg` would return it; only an empty queue
    waits, through nats-py's own path. It reaches nats-py's queue and pending count (as nats-py's fetch does);
    tests/integration/shared/test_fetch_queued.py checks both on a real server, so an upgrade that moves them fails there."""
    waiting, queue = subscription.next_msg, subscription._pending_queue

    async def next_msg(timeout: float | None = 1.0) -> Msg:
        if queue.empty() or subscription._conn.is_closed:
            return await waiting(timeout)
        message = queue.get_nowait()
        subscription._pending_size -= len(message.data)
        queue.task_done()
        return message

    subscription.next_msg = next_msg  # type: ignore[method-assign]


class ConsumerMetrics:
    def __init__(self, registry: CollectorRegistry, service: str) -> None:
        self.registry, self.service = registry, service
        self.messages = Counter(f"{service}_consumed_messages_total", "Messages settled, by consumer and outcome",
                                ["consumer", "outcome"], registry=registry)
        self.batch_seconds = Histogram(f"{service}_batch_duration_seconds", "Time to decode, commit and ack one batch",
                                       ["consumer"], registry=registry, buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
        self.batch_size = Histogram(f"{service}_batch_size_messages", "Messages per fetched batch", ["consumer"], registry=registry,
                                    buckets=(1, 5, 10, 25, 50, 100, 200, 300, 500))
        self.backlog = BacklogGauges(registry, service)  # shared by all the service's consumers


class BatchConsumer:
    def __init__(self, stream: str, subject: str, durable: str, decode: Callable[[bytes], Any],
                 committer: BatchCommitter, dead_letters: DeadLetters, metrics: ConsumerMetrics) -> None:
        self.stream, self.subject, self.durable = stream, subject, durable
        self._decode, self._committer, self._dead_letters, self._metrics = decode, committer, dead_letters, metrics
        self._running = False
        self._task: asyncio.Task[None] | None = None
        # What JetStream gives up on (max deliveries) is kept as a dead letter too.
        self._max_deliveries = MaxDeliveriesWatcher(dead_letters, stream, durable)
        # Ops read the durable's pending and ack-pending counts as gauges.
        self._backlog = ConsumerBacklog(metrics.registry, metrics.service, [self], gauges=metrics.backlog)

    def config(self, ack_wait: float = ACK_WAIT_SECONDS) -> ConsumerConfig:
        return ConsumerConfig(
            name=self.durable, durable_name=self.durable, filter_subject=self.subject, ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL, ack_wait=ack_wait, max_deliver=MAX_DELIVER, max_ack_pending=MAX_ACK_PENDING,
        )

    async def start(self, nc: NatsClient, ack_wait: float = ACK_WAIT_SECONDS) -> None:
        """Creates the durable, or brings the one there to this config: JetStream changes what may change (ack wait,
        max ack pending, max deliver) and refuses the rest. nats-py's pull_subscribe alone keeps an existing durable
        as it was, so a changed setting would be ignored without a word."""
        js = nc.jetstream()
        await js.add_consumer(self.stream, self.config(ack_wait))
        subscription = await js.pull_subscribe_bind(durable=self.durable, stream=self.stream)
        take_queued_at_once(subscription._sub)
        self._running = True
        self._subscription = subscription
        self._task = asyncio.create_task(self._run(subscription), name=f"consume-{self.durable}")
        await self._max_deliveries.start(nc)
        self._backlog.start(nc)

    async def stop(self) -> None:
        """Graceful: the batch in hand is committed and acked; nothing more is fetched."""
        self._running = False
        if self._task:
            await self._task
            await self._subscription.unsubscribe()  # the durable stays; only this client's interest goes
            await self._max_deliveries.stop()
            await self._backlog.stop()

    async def _run(self, subscription: Any) -> None:
        while self._running:
            try:
                messages = await subscription.fetch(PULL_BATCH, timeout=FETCH_WAIT_SECONDS)
            except TimeoutError:  # nats-py's own is a subclass; near its deadline it raises asyncio's, this one
                continue
            except (ConnectionClosedError, ServiceUnavailableError) as error:
                log.warning("%s: NATS unavailable (%s); retrying", self.durable, error)
                await asyncio.sleep(1)
                continue
            except Exception:  # an unexpected reply must not end consumption for good
                log.exception("%s: fetch failed; retrying", self.durable)
                await asyncio.sleep(1)
                continue
            started = time.monotonic()
            try:
                await self.handle(messages)
            except Exception:  # never let the loop die; what was not acked is redelivered
                log.exception("%s: batch failed", self.durable)
            took = time.monotonic() - started
            self._metrics.batch_seconds.labels(self.durable).observe(took)
            self._metrics.batch_size.labels(self.durable).observe(len(messages))
            if len(messages) < LINGER_BELOW:
                await asyncio.sleep(min(max(took, LINGER_MIN_SECONDS), LINGER_MAX_SECONDS))

    async def handle(self, messages: list[Msg]) -> None:
        items, decoded = [], []
        for message in messages:
            try:
                items.append(self._decode(message.data))
                decoded.append(message)
            except Exception as error:
                await self._keep_poison(message, error)
        if items:
            outcome = await self._committer.handle(items, decoded)
            self._metrics.messages.labels(self.durable, outcome).inc(len(items))

    async def _keep_poison(self, message: Msg, error: Exception) -> None:
        try:
            await self._dead_letters.keep_raw(message, f"{type(error).__name__}: {error}")
        except Exception:
            log.exception("%s: could not keep a dead letter; it will be redelivered", self.durable)
            await message.nak(delay=retry_delay(message))
            return
        await message.term()
        self._metrics.messages.labels(self.durable, "dead_letter").inc()


async def stop_together(consumers: Iterable[BatchConsumer]) -> None:
    """Each consumer lets its last fetch end (up to FETCH_WAIT_SECONDS) and commits what it brought, so a service that
    stopped its consumers one after another took a second per consumer (the console's five: up to 3 s)."""
    await asyncio.gather(*(consumer.stop() for consumer in consumers))
