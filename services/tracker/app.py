"""Composition root of tracker: `app` (FastStream, for AsyncAPI) and `create_http_app()` (what runs)."""
from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from faststream import FastStream
from faststream.specification import AsyncAPI
from prometheus_client import Counter

from services.tracker.handlers import build_router
from services.tracker.reads import build_reads
from services.tracker.service import Outcome, apply_updates
from services.tracker.settings import Settings
from services.tracker.tables import dead_letters, outbox
from shared import subjects
from shared.batching import GroupCommitter
from shared.clock import clock_from_setting
from shared.contracts import ProjectStateChanged, ProjectUpdated
from shared.dead_letters import DeadLetters
from shared.messaging import PULL_BATCH, make_broker
from shared.runtime import Runtime, http_app


def build(settings: Settings) -> tuple[FastAPI, FastStream]:
    runtime = Runtime("tracker", settings.nats_url, settings.database_url, settings.database_schema, Path(__file__).parent / "migrations", outbox)
    clock = clock_from_setting(settings.clock)
    applied = Counter("tracker_updates_total", "Updates applied, by county and outcome", ["county", "outcome"], registry=runtime.registry)

    async def process(events: Sequence[ProjectUpdated]) -> list[Outcome]:
        outcomes = await apply_updates(runtime.sessions, events, clock.now())
        runtime.wake_relay()
        for event, outcome in zip(events, outcomes):
            applied.labels(event.county_code, outcome.value).inc()
        return outcomes

    committer: GroupCommitter[ProjectUpdated, Outcome] = GroupCommitter(process, max_batch=PULL_BATCH)
    keep_poison = DeadLetters(runtime.sessions, dead_letters, runtime.registry, "tracker").middleware()
    broker = make_broker(settings.nats_url, "tracker", runtime.registry)
    broker.add_middleware(keep_poison)
    broker.include_router(build_router(committer, workers=PULL_BATCH))
    broker.publisher(subjects.project_changed(), schema=ProjectStateChanged, title="tracker:project_changed",
                     description="Published through the outbox after the state change commits.")

    async def on_start() -> None:
        committer.start()

    http = http_app(runtime, broker, on_start=on_start, on_stop=committer.stop, title="tuijin tracker")
    http.include_router(build_reads(runtime.sessions))
    return http, FastStream(broker, specification=AsyncAPI(title="tuijin tracker", version="0.1.0"))


_, app = build(Settings())


def main() -> None:
    settings = Settings()
    http, _ = build(settings)
    uvicorn.run(http, host=settings.host, port=settings.port, access_log=False, log_level="warning")
