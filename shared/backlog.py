"""Consumer backlog as JetStream sees it: pending, ack-pending and redelivered messages per durable.

The consumer's own counters only say what this replica settled; whether work is piling up, stuck in
flight or going round again is known only to JetStream. So each consuming service asks
`consumer_info` for its durable every 15 s and keeps the answer in gauges (every replica reports the
same durable; dashboards and alerts take `max by (consumer)`).

NATS being away must never hurt the service: a failed read is logged once and the gauges keep their
last value, so a stall alert keeps firing through an outage instead of going quiet.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Protocol

from nats.aio.client import Client as NatsClient
from prometheus_client import CollectorRegistry, Gauge

from shared.periodic import Periodic

log = logging.getLogger(__name__)
READ_INTERVAL_SECONDS = 15.0
INFO_TIMEOUT_SECONDS = 5.0


class Durable(Protocol):
    """What BatchConsumer already has: the stream and the durable name."""

    stream: str
    durable: str


class BacklogGauges:
    """One set per service registry (a registry takes a name once); every durable is a label value."""

    def __init__(self, registry: CollectorRegistry, service: str) -> None:
        self.pending = Gauge(f"{service}_consumer_pending_messages", "Messages in the stream not yet delivered to the durable",
                             ["consumer"], registry=registry)
        self.ack_pending = Gauge(f"{service}_consumer_ack_pending_messages", "Messages delivered to the durable and not yet acked",
                                 ["consumer"], registry=registry)
        self.redelivered = Gauge(f"{service}_consumer_redelivered_messages", "Unacked messages that were delivered more than once",
                                 ["consumer"], registry=registry)


class ConsumerBacklog:
    def __init__(self, registry: CollectorRegistry, service: str, consumers: Sequence[Durable],
                 interval_seconds: float = READ_INTERVAL_SECONDS, timeout_seconds: float = INFO_TIMEOUT_SECONDS,
                 gauges: BacklogGauges | None = None) -> None:
        self._consumers = [(consumer.stream, consumer.durable) for consumer in consumers]
        self._interval, self._timeout = interval_seconds, timeout_seconds
        self._periodic: Periodic | None = None
        self._failing = False
        gauges = gauges or BacklogGauges(registry, service)
        self.pending, self.ack_pending, self.redelivered = gauges.pending, gauges.ack_pending, gauges.redelivered

    def start(self, nc: NatsClient) -> None:
        self._periodic = Periodic("consumer-backlog", self._interval, lambda: self.read_once(nc))
        self._periodic.start()

    @property
    def running(self) -> bool:
        return self._periodic is not None and self._periodic.running

    async def stop(self) -> None:
        if self._periodic:
            await self._periodic.stop()

    async def read_once(self, nc: NatsClient) -> bool:
        """One round over every durable; True when all of them answered."""
        js = nc.jetstream()
        answered = 0
        for stream, durable in self._consumers:
            try:
                info = await js.consumer_info(stream, durable, timeout=self._timeout)
            except Exception as error:  # NATS away, durable not created yet, a timeout: try next round
                if not self._failing:
                    log.warning("consumer backlog of %s not readable (%s: %s); keeping the last values",
                                durable, type(error).__name__, error)
                self._failing = True
                continue
            self.pending.labels(durable).set(info.num_pending or 0)
            self.ack_pending.labels(durable).set(info.num_ack_pending or 0)
            self.redelivered.labels(durable).set(info.num_redelivered or 0)
            answered += 1
        if answered == len(self._consumers):
            self._failing = False
        return answered == len(self._consumers)
