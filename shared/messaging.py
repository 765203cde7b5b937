"""JetStream plumbing every service shares: connection, streams, broker, consumer settings, publishing."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import nats
from faststream.nats import ConsumerConfig, NatsBroker, PullSub
from faststream.nats.prometheus import NatsPrometheusMiddleware
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.api import StreamConfig
from nats.js.errors import BadRequestError
from prometheus_client import CollectorRegistry

from shared.contracts.base import Event
from shared.subjects import STREAMS, StreamSpec

# JetStream drops a second message with the same Nats-Msg-Id inside this window: relay retries and
# re-posted county records therefore never reach a consumer twice (consumers are idempotent anyway).
DUPLICATE_WINDOW_SECONDS = 120
# How long a consumer may hold a message before JetStream redelivers it.
ACK_WAIT_SECONDS = 30
# A message that failed this many times is a dead letter, not a retry.
MAX_DELIVER = 20
# Messages pulled and handled at once by one replica; the group commit turns them into one transaction.
PULL_BATCH = 200


def headers_for(event: Event) -> dict[str, str]:
    return {
        "Nats-Msg-Id": str(event.event_id),
        "Correlation-Id": event.correlation_id,
        "County-Code": event.county_code,
    }


async def connect(url: str, name: str) -> NatsClient:
    return await nats.connect(url, name=name, max_reconnect_attempts=-1, reconnect_time_wait=0.5)


async def ensure_streams(js: JetStreamContext, specs: Sequence[StreamSpec] = STREAMS) -> None:
    """Create the streams, or bring an existing one to our settings; safe to run from every replica."""
    for spec in specs:
        config = StreamConfig(
            name=spec.name,
            subjects=list(spec.subjects),
            duplicate_window=DUPLICATE_WINDOW_SECONDS,
        )
        try:
            await js.add_stream(config)
        except BadRequestError:
            await js.update_stream(config)


async def publish_all(js: JetStreamContext, messages: Sequence[tuple[str, bytes, dict[str, str]]], timeout: float = 10.0) -> list[BaseException | None]:
    """Publish many messages with one round of async acks; one result (None = stored) per message."""
    futures = [await js.publish_async(subject, payload, headers=headers) for subject, payload, headers in messages]
    done = await asyncio.wait_for(asyncio.gather(*futures, return_exceptions=True), timeout)
    return [result if isinstance(result, BaseException) else None for result in done]


def consumer_config() -> ConsumerConfig:
    """A new config per subscriber: FastStream mutates the one it is given."""
    return ConsumerConfig(ack_wait=ACK_WAIT_SECONDS, max_deliver=MAX_DELIVER)


def pull_sub() -> PullSub:
    return PullSub(batch_size=PULL_BATCH, timeout=1.0)


def make_broker(url: str, app_name: str, registry: CollectorRegistry) -> NatsBroker:
    """A broker with FastStream's Prometheus middleware and its access log kept out of the hot path."""
    logger = logging.getLogger(f"tuijin.{app_name}.broker")
    logger.setLevel(logging.WARNING)
    return NatsBroker(
        url,
        graceful_timeout=30,
        max_reconnect_attempts=-1,
        logger=logger,
        middlewares=[NatsPrometheusMiddleware(registry=registry, app_name=app_name)],
    )
