"""Composition root of escalation: `app` (FastStream, for AsyncAPI) and `build()` (what runs)."""
from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import uvicorn
from fastapi import FastAPI
from faststream import FastStream
from faststream.specification import AsyncAPI

from services.escalation.domain.policy import Policy
from services.escalation.handlers import build_router
from services.escalation.policy_file import load_policy
from services.escalation.reads import build_reads
from services.escalation.service import apply_changes, sweep
from services.escalation.settings import Settings
from services.escalation.sweeper import EscalationMetrics, Sweeper
from services.escalation.tables import dead_letters, outbox
from shared import subjects
from shared.batching import GroupCommitter
from shared.clock import beijing_today, clock_from_setting
from shared.contracts import EscalationEscalated, EscalationRaised, EscalationResolved, ProjectStateChanged
from shared.dead_letters import DeadLetters
from shared.messaging import PULL_BATCH, make_broker
from shared.runtime import Runtime, http_app


def policies(directory: Path):  # noqa: ANN201 - a cached PolicyFor
    @cache
    def policy_for(county_code: str) -> Policy:
        return load_policy(county_code, directory)

    return policy_for


def build(settings: Settings) -> tuple[FastAPI, FastStream]:
    runtime = Runtime("escalation", settings.nats_url, settings.database_url, settings.database_schema, Path(__file__).parent / "migrations", outbox)
    clock = clock_from_setting(settings.clock)
    policy_for = policies(settings.policy_dir)
    metrics = EscalationMetrics(runtime.registry)

    writing = asyncio.Lock()  # the change handler and the sweep take turns on escalation rows

    async def process(events: Sequence[ProjectStateChanged]) -> list[bool]:
        async with writing:
            applied = await apply_changes(runtime.sessions, events, policy_for, beijing_today(clock), clock.now())
        runtime.wake_relay()
        await metrics.refresh_open(runtime.sessions)
        return applied

    async def run_sweep() -> int:
        report = await sweep(runtime.sessions, policy_for, beijing_today(clock), clock.now(), lock=writing)
        runtime.wake_relay()
        await metrics.refresh_open(runtime.sessions, force=True)
        return report.projects

    committer: GroupCommitter[ProjectStateChanged, bool] = GroupCommitter(process, max_batch=PULL_BATCH)
    sweeper = Sweeper(run_sweep, settings.sweep_interval_seconds, metrics)
    broker = make_broker(settings.nats_url, "escalation", runtime.registry)
    broker.add_middleware(DeadLetters(runtime.sessions, dead_letters, runtime.registry, "escalation").middleware())
    broker.include_router(build_router(committer, workers=PULL_BATCH))
    for fact, schema in (("raised", EscalationRaised), ("escalated", EscalationEscalated), ("resolved", EscalationResolved)):
        broker.publisher(subjects.escalation(fact=fact), schema=schema, title=f"escalation:{fact}",
                         description="Published through the outbox after the escalation record commits.")

    async def on_start() -> None:
        committer.start()
        sweeper.start()

    async def on_stop() -> None:
        await sweeper.stop()
        await committer.stop()

    http = http_app(runtime, broker, on_start=on_start, on_stop=on_stop, title="tuijin escalation")
    http.include_router(build_reads(runtime.sessions))
    return http, FastStream(broker, specification=AsyncAPI(title="tuijin escalation", version="0.1.0"))


_, app = build(Settings())


def main() -> None:
    settings = Settings()
    http, _ = build(settings)
    uvicorn.run(http, host=settings.host, port=settings.port, access_log=False, log_level="warning")
