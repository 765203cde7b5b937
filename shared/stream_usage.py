"""How full each JetStream stream is, as gauges: bytes held against the max_bytes it was given.

A stream at its max_bytes drops its oldest messages (discard old, config/streams.toml); a consumer
that fell that far behind would lose what it has not read. So every service with a runtime reads
`stream_info` of every stream every 15 s, and TuijinStreamNearLimit (deploy/prometheus) warns well
before (`max by (stream)`: every replica and service reports the same streams). Like the backlog
reader, a failed read is logged once and the gauges keep their last value.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence

from nats.aio.client import Client as NatsClient
from prometheus_client import CollectorRegistry, Gauge

from shared.backlog import INFO_TIMEOUT_SECONDS, READ_INTERVAL_SECONDS
from shared.periodic import Periodic
from shared.subjects import STREAMS

log = logging.getLogger(__name__)


class StreamUsage:
    def __init__(self, registry: CollectorRegistry, service: str, streams: Sequence[str] = tuple(spec.name for spec in STREAMS),
                 interval_seconds: float = READ_INTERVAL_SECONDS, timeout_seconds: float = INFO_TIMEOUT_SECONDS) -> None:
        self._streams, self._interval, self._timeout = list(streams), interval_seconds, timeout_seconds
        self._periodic: Periodic | None = None
        self._failing = False
        self.bytes = Gauge(f"{service}_stream_bytes", "Bytes the stream holds", ["stream"], registry=registry)
        self.max_bytes = Gauge(f"{service}_stream_max_bytes", "The stream's max_bytes (oldest dropped beyond it)", ["stream"],
                               registry=registry)
        self.messages = Gauge(f"{service}_stream_messages", "Messages the stream holds", ["stream"], registry=registry)

    def start(self, nc: NatsClient) -> None:
        self._periodic = Periodic("stream-usage", self._interval, lambda: self.read_once(nc))
        self._periodic.start()

    async def stop(self) -> None:
        if self._periodic:
            await self._periodic.stop()

    async def read_once(self, nc: NatsClient) -> bool:
        """One round over every stream; True when all of them answered."""
        js = nc.jetstream(timeout=self._timeout)
        answered = 0
        for stream in self._streams:
            try:
                info = await js.stream_info(stream)
            except Exception as error:  # NATS away, a timeout: try next round
                if not self._failing:
                    log.warning("stream %s not readable (%s: %s); keeping the last values", stream, type(error).__name__, error)
                self._failing = True
                continue
            self.bytes.labels(stream).set(info.state.bytes or 0)
            self.max_bytes.labels(stream).set(info.config.max_bytes if info.config.max_bytes and info.config.max_bytes > 0 else 0)
            self.messages.labels(stream).set(info.state.messages or 0)
            answered += 1
        if answered == len(self._streams):
            self._failing = False
        return answered == len(self._streams)
