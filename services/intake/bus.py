"""Systems on the bus: a county's own system submits a batch over NATS (request/reply) instead of HTTP.

Each such county is a NATS account of its own (deploy/nats/accounts.conf). It requests `intake.submit`
in its account; the server's service import turns that into `intake.submit.<county>` in the TUIJIN
account, where intake answers. The county code is the last token of that subject, which only the
server's import configuration sets: never the payload, never a subject the county chose.

The reply is the body the HTTP API would answer, with the HTTP status in the `Tuijin-Status` header:
202 valid items stored in JetStream, 422 nothing valid (or not a batch, not JSON, nested too deep), 413 too long,
503 JetStream did not acknowledge (nothing accepted; send the same batch again), 500 anything else.
"""
from __future__ import annotations

import json
import logging
from typing import Any

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription

from services.intake.ingest import DEFAULT_MAX_BODY_BYTES, RETRY_AFTER_SECONDS, BatchRefused, Ingest, parse_batch
from services.intake.publishing import PublishFailed
from shared.subjects import county_of, submit_subject

log = logging.getLogger(__name__)

# What a county requests inside its own account (the import maps it to submit_subject(county)).
# Intake replicas share the requests: each batch is handled by exactly one of them.
QUEUE_GROUP = "intake"
STATUS_HEADER = "Tuijin-Status"  # not "Status": nats-py reads that one as the server's own (503 = no responders)


class BusFeed:
    def __init__(self, nc: NatsClient, ingest: Ingest, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> None:
        self._nc, self._ingest, self._max_bytes = nc, ingest, max_bytes
        self._subscription: Subscription | None = None

    async def start(self) -> None:
        # One subscription, handled one batch at a time per replica (nats-py runs a subscription's
        # callbacks in order); more throughput comes from more replicas in the queue group.
        self._subscription = await self._nc.subscribe(submit_subject(), queue=QUEUE_GROUP, cb=self._on_request)
        await self._nc.flush()  # the server has the subscription before start returns: no "no responders" right after

    async def stop(self) -> None:
        """Stop taking batches, finish (and answer) the ones already received."""
        if self._subscription is not None and not self._nc.is_closed:
            await self._subscription.drain()
        self._subscription = None

    async def _on_request(self, msg: Msg) -> None:
        county = county_of(msg.subject)
        if county is None:  # only a trusted TUIJIN user could publish such a subject
            log.warning("ignored a submit on %r: no county code", msg.subject)
            return
        status, body = await self.handle(county, msg.data)
        if not msg.reply:  # published, not requested: stored all the same, but nobody to answer
            log.info("batch of county %s submitted without a reply subject (status %d)", county, status)
            return
        headers = {STATUS_HEADER: str(status)}
        if status == 503:
            headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        # ASCII JSON: encodable whatever the county sent (a lone surrogate would break UTF-8).
        await self._nc.publish(msg.reply, json.dumps(body).encode(), headers=headers)

    async def handle(self, county_code: str, data: bytes) -> tuple[int, Any]:
        """(status, JSON body) for one submitted batch, exactly as the HTTP API would answer it."""
        try:
            items = parse_batch(data, self._max_bytes)
        except BatchRefused as refused:
            return refused.status, {"detail": refused.detail}
        try:
            result = await self._ingest(county_code, items, f"NATS account of county {county_code}", door="NATS")
        except PublishFailed as error:
            log.warning("bus batch of county %s not published: %s", county_code, error)
            return 503, {"detail": "JetStream did not acknowledge the batch; nothing was accepted, send it again"}
        except Exception:
            log.exception("bus batch of county %s failed", county_code)
            return 500, {"detail": "intake failed on this batch; send it again"}
        return (202 if result.accepted else 422), result.model_dump(mode="json")


async def start_bus_feed(nc: NatsClient, ingest: Ingest, max_bytes: int = DEFAULT_MAX_BODY_BYTES) -> BusFeed:
    """Serve `intake.submit.*` on the (connected, services') client; call once its streams exist."""
    feed = BusFeed(nc, ingest, max_bytes)
    await feed.start()
    return feed


async def stop_bus_feed(feed: BusFeed | None) -> None:
    if feed is not None:
        await feed.stop()
