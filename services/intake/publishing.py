"""JetStream side of intake: a connection made in the background, and publishing a batch with one round of acks.

Intake starts even while NATS is away: it then reports not ready and answers posts with 503, and
nats-py keeps trying to connect. A batch is accepted only when JetStream acknowledged every message.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence

from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from prometheus_client import Histogram

from shared import subjects
from shared.contracts import ProjectUpdated
from shared.messaging import PING_INTERVAL_SECONDS, connect, ensure_streams, headers_for, publish_all
from shared.stream_limits import StreamLimits

log = logging.getLogger(__name__)


class PublishFailed(Exception):
    """JetStream did not store every message of the batch (down, error or timeout)."""


class NatsLink:
    def __init__(self, url: str, name: str = "intake", nkeys_seed: str | None = None,
                 on_ready: Callable[[NatsClient], Awaitable[None]] | None = None, stream_replicas: int = 1,
                 stream_limits: Mapping[str, StreamLimits] | None = None, ping_interval: int = PING_INTERVAL_SECONDS) -> None:
        self._url, self._name, self._nkeys_seed, self._on_ready = url, name, nkeys_seed, on_ready
        self._ping_interval = ping_interval
        self._stream_replicas, self._stream_limits = stream_replicas, stream_limits
        self._nc: NatsClient | None = None
        self._js: JetStreamContext | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, wait: float) -> None:
        """Connect in the background; wait up to `wait` seconds so a healthy start serves at once."""
        self._task = asyncio.create_task(self._connect(), name="intake-nats-connect")
        if wait > 0:
            await asyncio.wait({self._task}, timeout=wait)

    async def _connect(self) -> None:
        nc = await connect(self._url, self._name, self._nkeys_seed, self._ping_interval)  # retries until NATS answers
        self._nc = nc
        while True:
            try:
                await ensure_streams(nc.jetstream(), replicas=self._stream_replicas, limits=self._stream_limits)
                break
            except Exception:  # JetStream not ready yet (e.g. just restarted): try again
                log.exception("could not create the streams; retrying")
                await asyncio.sleep(1.0)
        self._js = nc.jetstream()
        if self._on_ready:
            await self._on_ready(nc)

    @property
    def ready(self) -> bool:
        return self._js is not None and self._nc is not None and self._nc.is_connected

    def jetstream(self) -> JetStreamContext:
        if not self.ready or self._js is None:
            raise PublishFailed("not connected to NATS")
        return self._js

    async def close(self) -> None:
        if self._task and not self._task.done():
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._nc is not None and not self._nc.is_closed:
            await self._nc.close()


class Publisher:
    def __init__(self, link: NatsLink, duration: Histogram, timeout: float) -> None:
        self._link, self._duration, self._timeout = link, duration, timeout

    async def publish(self, events: Sequence[ProjectUpdated]) -> None:
        """Publish with Nats-Msg-Id = event id; raise PublishFailed unless every message was stored."""
        if not events:
            return
        js = self._link.jetstream()
        messages = [
            (subjects.project_updated(event.county_code), event.model_dump_json().encode(), headers_for(event))
            for event in events
        ]
        with self._duration.time():
            try:
                results = await publish_all(js, messages, timeout=self._timeout)
            except Exception as error:  # timeout, connection lost, too many pending publishes
                raise PublishFailed(f"JetStream did not acknowledge the batch: {error!r}") from error
        failures = [result for result in results if result is not None]
        if failures:
            raise PublishFailed(f"{len(failures)} of {len(messages)} messages not stored: {failures[0]!r}")
