"""Composition root of notifier: `build()` (what runs) and `app` (its AsyncAPI description)."""
from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import httpx
from fastapi import FastAPI
from prometheus_client import Counter

from services.notifier.adapters.channels import build_channels
from services.notifier.delivery import DeliveryWorker
from services.notifier.domain import Routing
from services.notifier.handlers import build_consumers, describe
from services.notifier.reads import build_reads
from services.notifier.rendering import NotifiedEvent
from services.notifier.routing_file import load_routing
from services.notifier.service import plan
from services.notifier.settings import Settings
from services.notifier.tables import dead_letters, outbox
from shared.batching import BatchCommitter
from shared.consumer import ConsumerMetrics, stop_together
from shared.dead_letters import DeadLetters
from shared.persistence import utcnow
from shared.runtime import Runtime, asyncapi_app, http_app, serve
from shared.service_token import guarded_when_set
from shared.tls import client_tls


def routings(directory: Path):  # noqa: ANN201 - a cached RoutingFor
    @cache
    def routing_for(county_code: str) -> Routing:
        return load_routing(directory / f"{county_code}.toml")

    return routing_for


def build(settings: Settings) -> FastAPI:
    runtime = Runtime.of("notifier", settings, Path(__file__).parent / "migrations", outbox)
    routing_for = routings(settings.routing_dir)
    gaps = Counter("notifier_routing_gaps_total", "Recipients with nobody routed, sent to the project office instead", ["county"], registry=runtime.registry)
    client = httpx.AsyncClient(timeout=httpx.Timeout(10, connect=3), verify=client_tls())
    worker = DeliveryWorker(runtime.sessions, build_channels(settings.smtp_url, client, settings.mail_sender), routing_for,
                            utcnow, runtime.registry, settings.file_root, settings.robot_messages_per_minute,
                            public_url=settings.escalation_public_url, claim_seconds=settings.claim_seconds)

    async def process(events: Sequence[NotifiedEvent]) -> None:
        planned = await plan(runtime.sessions, events, routing_for, utcnow(), worker)  # handed to the worker as committed
        for event, result in zip(events, planned, strict=False):
            if result.routing_gaps:
                gaps.labels(event.county_code).inc(result.routing_gaps)
        worker.wake()  # for rows planned unclaimed (the worker's hands were full)

    poison = DeadLetters(runtime.sessions, dead_letters, runtime.registry, "notifier")
    consumers = build_consumers(BatchCommitter(process, poison), poison, ConsumerMetrics(runtime.registry, "notifier"))

    async def on_start() -> None:
        for consumer in consumers:
            await consumer.start(runtime.nc, runtime.ack_wait)
        worker.start()

    async def on_stop() -> None:
        await stop_together(consumers)
        await worker.stop()
        await client.aclose()

    http = http_app(runtime, on_start=on_start, on_stop=on_stop, title="tuijin notifier")
    http.include_router(build_reads(runtime.sessions), dependencies=guarded_when_set(settings.resolved_service_token()))
    return http


app = asyncapi_app("notifier", describe)


def main() -> None:
    settings = Settings()
    serve(build(settings), settings.host, settings.port)
