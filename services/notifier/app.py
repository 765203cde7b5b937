"""Composition root of notifier: `app` (FastStream, for AsyncAPI) and `build()` (what runs)."""
from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI
from faststream import FastStream
from faststream.specification import AsyncAPI
from prometheus_client import Counter

from services.notifier.adapters.channels import build_channels
from services.notifier.delivery import DeliveryWorker
from services.notifier.domain import Routing
from services.notifier.handlers import build_router
from services.notifier.messages import EscalationEvent
from services.notifier.reads import build_reads
from services.notifier.routing_file import load_routing
from services.notifier.service import Planned, plan
from services.notifier.settings import Settings
from services.notifier.tables import dead_letters, outbox
from shared import subjects
from shared.batching import GroupCommitter
from shared.contracts import NotificationSent
from shared.dead_letters import DeadLetters
from shared.messaging import PULL_BATCH, make_broker
from shared.persistence import utcnow
from shared.runtime import Runtime, http_app


def routings(directory: Path):  # noqa: ANN201 - a cached RoutingFor
    @cache
    def routing_for(county_code: str) -> Routing:
        return load_routing(directory / f"{county_code}.toml")

    return routing_for


def build(settings: Settings) -> tuple[FastAPI, FastStream]:
    runtime = Runtime("notifier", settings.nats_url, settings.database_url, settings.database_schema, Path(__file__).parent / "migrations", outbox)
    routing_for = routings(settings.routing_dir)
    gaps = Counter("notifier_routing_gaps_total", "Recipients with nobody routed, sent to the project office instead", ["county"], registry=runtime.registry)
    client = httpx.AsyncClient(timeout=httpx.Timeout(10, connect=3))
    worker = DeliveryWorker(runtime.sessions, build_channels(settings.smtp_url, client, settings.mail_sender), routing_for,
                            utcnow, runtime.registry, settings.file_root, settings.robot_messages_per_minute)
    worker.on_sent = runtime.wake_relay

    async def process(events: Sequence[EscalationEvent]) -> list[Planned]:
        planned = await plan(runtime.sessions, events, routing_for, utcnow())
        for event, result in zip(events, planned):
            if result.routing_gaps:
                gaps.labels(event.county_code).inc(result.routing_gaps)
        worker.wake()
        return planned

    committer: GroupCommitter[EscalationEvent, Planned] = GroupCommitter(process, max_batch=PULL_BATCH)
    broker = make_broker(settings.nats_url, "notifier", runtime.registry)
    broker.add_middleware(DeadLetters(runtime.sessions, dead_letters, runtime.registry, "notifier").middleware())
    broker.include_router(build_router(committer, workers=PULL_BATCH))
    broker.publisher(subjects.notification_sent(), schema=NotificationSent, title="notifier:notification_sent",
                     description="Published through the outbox after a delivery is recorded as sent.")

    async def on_start() -> None:
        committer.start()
        worker.start()

    async def on_stop() -> None:
        await committer.stop()
        await worker.stop()
        await client.aclose()

    http = http_app(runtime, broker, on_start=on_start, on_stop=on_stop, title="tuijin notifier")
    http.include_router(build_reads(runtime.sessions))
    return http, FastStream(broker, specification=AsyncAPI(title="tuijin notifier", version="0.1.0"))


_, app = build(Settings())


def main() -> None:
    settings = Settings()
    http, _ = build(settings)
    uvicorn.run(http, host=settings.host, port=settings.port, access_log=False, log_level="warning")
