"""Messages JetStream gave up on: kept as dead letters from the MAX_DELIVERIES advisory.

When a message reaches its consumer's max_deliver, JetStream stops delivering it but leaves it in
the stream, and says so only on a core-NATS advisory. Without this watcher such a message would
vanish from the service's view; with it, it is fetched by its stream sequence and kept like a
terminated poison message (same table, same counter), so `tuijin dead-letters` lists and replays it.

Advisories are not persisted: one sent while no replica listens is lost (the message is still in
the stream, at the sequence the server logs). Replicas listen in one queue group, so each
advisory is kept once, not once per replica.
"""
from __future__ import annotations

import asyncio
import json
import logging

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from shared.dead_letters import DeadLetters

log = logging.getLogger(__name__)
KEEP_ATTEMPTS = 4  # the advisory is never sent again: ride out a short database blip before giving up


def advisory_subject(stream: str, durable: str) -> str:
    return f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{stream}.{durable}"


class MaxDeliveriesWatcher:
    def __init__(self, dead_letters: DeadLetters, stream: str, durable: str) -> None:
        self._dead_letters, self.stream, self.durable = dead_letters, stream, durable
        self._nc: NatsClient | None = None
        self._subscription: Subscription | None = None

    async def start(self, nc: NatsClient) -> None:
        self._nc = nc
        self._subscription = await nc.subscribe(advisory_subject(self.stream, self.durable),
                                                queue=f"{self.durable}-max-deliveries", cb=self._on_advisory)

    async def stop(self) -> None:
        """Drain: an advisory already received is kept before the connection goes."""
        subscription, self._subscription = self._subscription, None
        if subscription is not None and self._nc is not None and not self._nc.is_closed:
            await subscription.drain()

    async def _on_advisory(self, advisory: Msg) -> None:
        try:  # a subscription callback that raises is only logged by nats-py; say what was lost
            body = json.loads(advisory.data)
            await self.keep(int(body["stream_seq"]), int(body.get("deliveries", 0)))
        except Exception:
            log.exception("%s: max-deliveries advisory not kept: %r", self.durable, advisory.data[:500])

    async def keep(self, stream_seq: int, deliveries: int) -> None:
        assert self._nc is not None, "start() first"
        message = await self._nc.jetstream().get_msg(self.stream, stream_seq)
        reason = f"max deliveries reached ({deliveries}); {self.stream} seq {stream_seq}"
        for attempt in range(1, KEEP_ATTEMPTS + 1):
            try:
                await self._dead_letters.keep(message.subject or "", message.data or b"", message.headers or {}, reason)
                return
            except Exception:
                if attempt == KEEP_ATTEMPTS:
                    raise
                log.warning("%s: could not keep stream seq %d yet (attempt %d)", self.durable, stream_seq, attempt, exc_info=True)
                await asyncio.sleep(2.0 ** attempt)
