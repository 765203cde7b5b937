"""Composition root of escalation: `build()` (what runs) and `app` (its AsyncAPI description)."""
from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from fastapi import Depends, FastAPI
from sqlalchemy.exc import IntegrityError

from services.escalation.bulletin.api import build_bulletin_api
from services.escalation.bulletin.schedule import BulletinSchedule
from services.escalation.cases.api import build_case_api
from services.escalation.cases.policy import case_policies
from services.escalation.handlers import build_consumer, describe
from services.escalation.policy_file import policies
from services.escalation.policy_versions import PolicyVersionReused
from services.escalation.problems.api import build_problem_api
from services.escalation.problems.policy import problem_policies
from services.escalation.reads import build_reads
from services.escalation.reads_cases import build_case_reads
from services.escalation.service import apply_changes, sweep
from services.escalation.settings import Settings
from services.escalation.sweeper import EscalationMetrics, Lease, Sweeper
from services.escalation.tables import dead_letters, outbox
from shared.batching import TRANSIENT, BatchCommitter
from shared.clock import beijing_today, clock_from_setting
from shared.consumer import ConsumerMetrics
from shared.contracts import ProjectStateChanged
from shared.dead_letters import DeadLetters
from shared.runtime import Runtime, asyncapi_app, http_app, serve
from shared.service_token import guard, require


def build(settings: Settings) -> FastAPI:
    service_token = require(settings.resolved_service_token(), "ESCALATION_")
    runtime = Runtime.of("escalation", settings, Path(__file__).parent / "migrations", outbox)
    clock = clock_from_setting(settings.clock)
    policy_for = policies(settings.policy_dir)
    problem_policy_for = problem_policies(settings.policy_dir)
    metrics = EscalationMetrics(runtime.registry)

    writing = asyncio.Lock()  # the change handler and the sweep take turns on escalation rows
    lease = Lease(runtime.sessions, "sweep")  # one replica sweeps at a time

    async def process(events: Sequence[ProjectStateChanged]) -> None:
        async with writing:
            await apply_changes(runtime.sessions, events, policy_for, beijing_today(clock), clock.now(), metrics.count_events,
                                problem_policy_for)
        await metrics.refresh_open(runtime.sessions)

    async def run_sweep() -> int:
        report = await sweep(runtime.sessions, policy_for, beijing_today(clock), clock.now(), lock=lease.renewing(writing),
                             on_recorded=metrics.count_events, on_progress=metrics.reevaluation_progress,
                             problem_policy_for=problem_policy_for)
        await metrics.refresh_open(runtime.sessions, force=True)
        return report.projects

    poison = DeadLetters(runtime.sessions, dead_letters, runtime.registry, "escalation")
    # IntegrityError: another replica inserted the same projection row or escalation in between; redelivered, it finds it.
    # PolicyVersionReused: a policy file edited without a new version; held (and alerting as a stalled consumer) until fixed.
    consumer = build_consumer(BatchCommitter(process, poison, transient=(*TRANSIENT, IntegrityError, PolicyVersionReused)), poison,
                              ConsumerMetrics(runtime.registry, "escalation"))
    sweeper = Sweeper(run_sweep, settings.sweep_interval_seconds, metrics, lease)
    bulletins = BulletinSchedule(runtime.sessions, clock, policy_for, settings.policy_dir)  # monthly, own lease

    async def on_start() -> None:
        await consumer.start(runtime.nc, runtime.ack_wait)
        sweeper.start()
        bulletins.start()

    async def on_stop() -> None:
        await consumer.stop()
        await sweeper.stop()
        await bulletins.stop()

    http = http_app(runtime, on_start=on_start, on_stop=on_stop, title="tuijin escalation")
    internal = [Depends(guard(service_token))]  # /internal/*: other services (intake's front door, the console) only
    http.include_router(build_reads(runtime.sessions), dependencies=internal)
    http.include_router(build_case_reads(runtime.sessions, clock, policy_for), dependencies=internal)
    http.include_router(build_case_api(runtime.sessions, clock, policy_for, case_policies(settings.policy_dir),
                                       service_token=service_token))
    http.include_router(build_problem_api(runtime.sessions, clock, policy_for, problem_policy_for,
                                          case_policies(settings.policy_dir)))
    http.include_router(build_bulletin_api(runtime.sessions, clock, policy_for, settings.policy_dir),
                        dependencies=internal)
    return http


app = asyncapi_app("escalation", describe)


def main() -> None:
    settings = Settings()
    serve(build(settings), settings.host, settings.port)
