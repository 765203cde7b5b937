"""Composition root of tracker: `build()` (what runs) and `app` (its AsyncAPI description)."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fastapi import FastAPI
from prometheus_client import Counter

from services.tracker.handlers import build_consumer, describe
from services.tracker.reads import build_reads
from services.tracker.service import apply_updates
from services.tracker.settings import Settings
from services.tracker.tables import dead_letters, outbox
from services.tracker.writes import ConcurrentUpdate
from shared.batching import TRANSIENT, BatchCommitter
from shared.clock import clock_from_setting
from shared.consumer import ConsumerMetrics
from shared.contracts import ProjectUpdated
from shared.dead_letters import DeadLetters
from shared.runtime import Runtime, asyncapi_app, http_app, serve
from shared.service_token import guarded_when_set


def build(settings: Settings) -> FastAPI:
    runtime = Runtime.of("tracker", settings, Path(__file__).parent / "migrations", outbox)
    clock = clock_from_setting(settings.clock)
    applied = Counter("tracker_updates_total", "Updates applied, by county and outcome", ["county", "outcome"], registry=runtime.registry)

    async def process(events: Sequence[ProjectUpdated]) -> None:
        outcomes = await apply_updates(runtime.sessions, events, clock.now())
        for event, outcome in zip(events, outcomes, strict=False):
            applied.labels(event.county_code, outcome.value).inc()

    poison = DeadLetters(runtime.sessions, dead_letters, runtime.registry, "tracker")
    committer = BatchCommitter(process, poison, transient=(*TRANSIENT, ConcurrentUpdate))
    consumer = build_consumer(committer, poison, ConsumerMetrics(runtime.registry, "tracker"))

    async def on_start() -> None:
        await consumer.start(runtime.nc, runtime.ack_wait)

    http = http_app(runtime, on_start=on_start, on_stop=consumer.stop, title="tuijin tracker")
    http.include_router(build_reads(runtime.sessions), dependencies=guarded_when_set(settings.resolved_service_token()))
    return http


app = asyncapi_app("tracker", describe)


def main() -> None:
    settings = Settings()
    serve(build(settings), settings.host, settings.port)
