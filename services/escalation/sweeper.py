"""The clock-driven side of escalation: sweep on an interval, and keep the open-escalation gauge."""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation.tables import escalations

log = logging.getLogger(__name__)


class EscalationMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.open = Gauge("escalation_open_escalations", "Open escalations", ["county", "rule", "level"], registry=registry)
        self.sweep_seconds = Histogram("escalation_sweep_duration_seconds", "Time a full sweep took", registry=registry,
                                       buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300))
        self.swept = Counter("escalation_sweep_projects_total", "Projects evaluated by sweeps", registry=registry)
        self.last_sweep = Gauge("escalation_last_sweep_timestamp_seconds", "When the last sweep finished", registry=registry)
        self.events = Counter("escalation_events_total", "Escalation events committed", ["county"], registry=registry)
        self._last_refresh = 0.0

    async def refresh_open(self, sessions: async_sessionmaker, force: bool = False) -> None:
        """Recount open escalations, at most every 5 s; a failure here never fails the work that called it."""
        if not force and time.monotonic() - self._last_refresh < 5:
            return
        self._last_refresh = time.monotonic()
        try:
            await self._recount(sessions)
        except Exception:
            log.exception("could not refresh the open-escalations gauge")

    async def _recount(self, sessions: async_sessionmaker) -> None:
        async with sessions() as session:
            rows = (await session.execute(
                select(escalations.c.county_code, escalations.c.rule_id, escalations.c.level, func.count())
                .where(escalations.c.status == "open").group_by(escalations.c.county_code, escalations.c.rule_id, escalations.c.level)
            )).all()
        self.open.clear()
        for county, rule, level, count in rows:
            self.open.labels(county, rule, str(level)).set(count)


class Sweeper:
    def __init__(self, run_sweep: Callable[[], Awaitable[int]], interval_seconds: float, metrics: EscalationMetrics) -> None:
        self._run_sweep, self._interval, self._metrics = run_sweep, interval_seconds, metrics
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="escalation-sweeper")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _loop(self) -> None:
        while True:
            started = time.monotonic()
            try:
                projects = await self._run_sweep()
                self._metrics.swept.inc(projects)
                self._metrics.last_sweep.set_to_current_time()
            except Exception:  # a failed sweep is retried at the next tick; the alert watches last_sweep
                log.exception("sweep failed")
            self._metrics.sweep_seconds.observe(time.monotonic() - started)
            await asyncio.sleep(self._interval)
