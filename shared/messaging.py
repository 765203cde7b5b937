"""JetStream plumbing every service shares: connection, streams, broker, consumer settings, publishing."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence

import nats
from faststream.nats import NatsBroker
from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, StreamConfig
from nats.js.errors import APIError, BadRequestError

from shared.contracts.base import Event
from shared.stream_limits import StreamLimits, load_stream_limits
from shared.subjects import STREAMS, StreamSpec

# How long a consumer may hold a message before JetStream redelivers it.
ACK_WAIT_SECONDS = 30
# Transient failures are retried with a capped growing delay (retry_delay), so this bound is far
# beyond any outage (~16 h at the cap); poison is terminated and kept explicitly, never by this.
MAX_DELIVER = 1000
MAX_RETRY_DELAY_SECONDS = 60.0
# One fetch is one transaction (shared/consumer.py, shared/batching.py): whatever is there, up to this.
PULL_BATCH = 500
MAX_ACK_PENDING = 2000
# A server that stops answering (hung, or cut off from its clients) keeps the TCP connection open: only
# unanswered PINGs show it. nats-py's default (2 min, 2 outstanding) leaves a service stuck up to 6 min;
# at 5 s it gives up within 10-15 s and reconnects to another server of the cluster.
PING_INTERVAL_SECONDS = 5
MAX_OUTSTANDING_PINGS = 2


# JetStream's "insufficient storage resources available": a stream's max_bytes is more than the server can reserve.
INSUFFICIENT_STORAGE = 10047


class StreamsDoNotFit(RuntimeError):
    """The streams' max_bytes add up to more than the server's JetStream storage: a setup error, said plainly at start."""


def headers_for(event: Event) -> dict[str, str]:
    return {
        "Nats-Msg-Id": str(event.event_id),
        "Correlation-Id": event.correlation_id,
        "County-Code": event.county_code,
    }


def nats_servers(url: str) -> list[str]:
    """NATS_URL may list several servers of a cluster, comma-separated; nats-py wants them as a list."""
    return [part.strip() for part in url.split(",") if part.strip()]


async def connect(url: str, name: str, nkeys_seed: str | None = None, ping_interval: int = PING_INTERVAL_SECONDS) -> NatsClient:
    """url: one server, or every server of a cluster comma-separated (the client fails over between them).
    nkeys_seed: a seed file, where the server runs with accounts (deploy/nats/accounts.conf).
    ping_interval: seconds between PINGs; after MAX_OUTSTANDING_PINGS unanswered the connection is stale."""
    return await nats.connect(servers=nats_servers(url), name=name, max_reconnect_attempts=-1, reconnect_time_wait=0.5,
                              nkeys_seed=nkeys_seed, ping_interval=ping_interval, max_outstanding_pings=MAX_OUTSTANDING_PINGS)


def stream_config(spec: StreamSpec, limits: StreamLimits, replicas: int = 1) -> StreamConfig:
    """replicas: 1 on a single server (development, tests); 3 on a JetStream cluster, where a stream
    then survives the loss of one server (`<SERVICE>_STREAM_REPLICAS`, deploy/k8s/config.yaml).

    limits (config/streams.toml): the oldest messages go past max_age or max_bytes (discard old, so a
    full stream never refuses intake). JetStream drops a second message with the same Nats-Msg-Id
    inside the duplicate window: relay retries and re-posted county records reach a consumer once.
    """
    if replicas < 1:
        raise ValueError(f"stream replicas must be at least 1, got {replicas}")
    return StreamConfig(name=spec.name, subjects=list(spec.subjects), num_replicas=replicas, discard=DiscardPolicy.OLD,
                        max_age=limits.max_age_seconds, max_bytes=limits.max_bytes, duplicate_window=limits.duplicate_window_seconds)


async def ensure_streams(js: JetStreamContext, specs: Sequence[StreamSpec] = STREAMS, replicas: int = 1,
                         limits: Mapping[str, StreamLimits] | None = None) -> None:
    """Create the streams, or bring an existing one to our settings (limits included); safe to run from every replica.

    limits: per stream name; config/streams.toml when not given.
    """
    limits = limits if limits is not None else load_stream_limits(names=[spec.name for spec in specs])
    for spec in specs:
        config = stream_config(spec, limits[spec.name], replicas)
        try:
            try:
                await js.add_stream(config)
            except BadRequestError:
                await js.update_stream(config)
        except APIError as error:
            if error.err_code == INSUFFICIENT_STORAGE:
                raise StreamsDoNotFit(
                    f"JetStream cannot reserve max_bytes={config.max_bytes} for stream {spec.name}: every stream's max_bytes is "
                    "reserved up front, so the server's max_file_store (75% of the free disk by default) must exceed their sum. "
                    "Free disk, raise max_file_store, or lower max_bytes in the streams file (config/streams.toml)") from error
            raise


async def publish_all(js: JetStreamContext, messages: Sequence[tuple[str, bytes, dict[str, str]]], timeout: float = 10.0) -> list[BaseException | None]:
    """Publish many messages with one round of async acks; one result (None = stored) per message."""
    futures = [await js.publish_async(subject, payload, headers=headers) for subject, payload, headers in messages]
    done = await asyncio.wait_for(asyncio.gather(*futures, return_exceptions=True), timeout)
    return [result if isinstance(result, BaseException) else None for result in done]


def retry_delay(message: Msg) -> float:
    """2, 4, 8 … seconds by delivery count, capped: quick after a blip, gentle during an outage."""
    try:
        delivered = message.metadata.num_delivered
    except Exception:  # a message without JetStream metadata
        delivered = 1
    return min(MAX_RETRY_DELAY_SECONDS, 2.0 ** delivered)


def spec_broker(app_name: str) -> NatsBroker:
    """The FastStream broker a service declares its channels on, for AsyncAPI (`faststream docs gen`).

    It is never started: the runtime consumes with shared.consumer and publishes through the outbox.
    """
    return NatsBroker("nats://127.0.0.1:4222", logger=logging.getLogger(f"tuijin.{app_name}.spec"))
