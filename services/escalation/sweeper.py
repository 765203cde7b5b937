"""The clock-driven side of escalation: sweep on an interval, and keep the open-escalation gauge.

With several replicas only one sweeps at a time: the sweep runs under the lease row
`leases(name='sweep')`, taken with one atomic statement (INSERT … ON CONFLICT DO NOTHING, else
UPDATE … WHERE until < now OR holder = me), renewed before every chunk and released after. A replica
that cannot take it skips that tick; a replica that dies holding it blocks sweeps for `ttl` at most.
Lease times are bookkeeping (wall clock of the replicas, which NTP keeps within far less than the
ttl), never the business clock (`ESCALATION_CLOCK`).
"""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from types import TracebackType

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation.tables import escalations, leases
from shared.contracts.base import Event
from shared.logs import event_extra
from shared.periodic import Periodic
from shared.persistence import insert_ignoring_conflicts, utcnow

log = logging.getLogger(__name__)


class EscalationMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.open = Gauge("escalation_open_escalations", "Open escalations", ["county", "rule", "level"], registry=registry)
        self.sweep_seconds = Histogram("escalation_sweep_duration_seconds", "Time a full sweep took", registry=registry,
                                       buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300))
        self.swept = Counter("escalation_sweep_projects_total", "Projects evaluated by sweeps", registry=registry)
        self.last_sweep = Gauge("escalation_last_sweep_timestamp_seconds", "When the last sweep finished", registry=registry)
        # A new basis (policy, rule version, holiday calendar) re-evaluates whole counties inside the sweep, chunk by chunk.
        self.reevaluated = Counter("escalation_reevaluated_projects_total", "Projects re-evaluated because their basis changed",
                                   registry=registry)
        self.reevaluation_left = Gauge("escalation_reevaluation_remaining_projects", "Projects of the running re-evaluation not done yet",
                                       registry=registry)
        self.events = Counter("escalation_events_total", "Escalation events committed", ["county"], registry=registry)
        self.registry = registry
        self._last_refresh = 0.0

    def reevaluation_progress(self, done: int, remaining: int) -> None:
        self.reevaluated.inc(done)
        self.reevaluation_left.set(remaining)

    def count_events(self, events: Sequence[Event]) -> None:
        """Told after the commit: count and log each escalation event with its ids."""
        for event in events:
            self.events.labels(event.county_code).inc()
            log.info("escalation %s at level %s", getattr(event, "kind", "event"), getattr(event, "level", "?"),
                     extra=event_extra(event, rule_id=getattr(event, "rule_id", None), kind=getattr(event, "kind", None)))

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


RELEASED = datetime(2000, 1, 1, tzinfo=UTC)  # `until` of a released lease: expired for every replica's clock


class LeaseLost(Exception):
    """Another replica took the lease (ours expired mid-sweep): stop before the next chunk."""


class Lease:
    """A named lease row: at most one holder until `until`; see the module docstring."""

    def __init__(self, sessions: async_sessionmaker, name: str, ttl_seconds: float = 120.0, holder: str | None = None,
                 now: Callable[[], datetime] = utcnow) -> None:
        self._sessions, self.name, self._ttl, self._now = sessions, name, timedelta(seconds=ttl_seconds), now
        self.holder = holder or f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"[:100]

    async def acquire(self) -> bool:
        """Take the lease if nobody holds it (or it expired, or it is ours already); True when held."""
        now = self._now()
        values = {"name": self.name, "holder": self.holder, "until": now + self._ttl}
        async with self._sessions() as session, session.begin():
            inserted = await session.execute(insert_ignoring_conflicts(session, leases, ["name"]).values(values))
            if inserted.rowcount == 1:
                return True
            taken = await session.execute(
                update(leases).where(leases.c.name == self.name, or_(leases.c.until < now, leases.c.holder == self.holder))
                .values(holder=self.holder, until=values["until"])
            )
            return taken.rowcount == 1

    async def renew(self) -> None:
        """Push our lease out by another ttl; LeaseLost when it is no longer ours."""
        async with self._sessions() as session, session.begin():
            renewed = await session.execute(
                update(leases).where(leases.c.name == self.name, leases.c.holder == self.holder).values(until=self._now() + self._ttl)
            )
        if renewed.rowcount != 1:
            raise LeaseLost(self.name)

    async def release(self) -> None:
        """Let the next tick of any replica take it at once (whatever its clock says)."""
        async with self._sessions() as session, session.begin():
            await session.execute(update(leases).where(leases.c.name == self.name, leases.c.holder == self.holder).values(until=RELEASED))

    def renewing(self, lock: asyncio.Lock) -> AbstractAsyncContextManager[None]:
        """What `service.sweep(lock=…)` enters per chunk: renew the lease, then take the process's writing lock."""
        return _RenewThenLock(self, lock)


class _RenewThenLock:
    def __init__(self, lease: Lease, lock: asyncio.Lock) -> None:
        self._lease, self._lock = lease, lock

    async def __aenter__(self) -> None:
        await self._lease.renew()
        await self._lock.acquire()

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self._lock.release()


class Sweeper:
    def __init__(self, run_sweep: Callable[[], Awaitable[int]], interval_seconds: float, metrics: EscalationMetrics,
                 lease: Lease | None = None) -> None:
        self._run_sweep, self._metrics, self._lease = run_sweep, metrics, lease
        self._periodic = Periodic("escalation-sweeper", interval_seconds, self._round)
        self.skipped = Counter("escalation_sweeps_skipped_total", "Sweep ticks skipped because another replica held the lease",
                               registry=metrics.registry)

    @asynccontextmanager
    async def _held(self) -> AsyncIterator[bool]:
        if self._lease is None:
            yield True
            return
        if not await self._lease.acquire():
            yield False
            return
        try:
            yield True
        finally:
            try:
                await self._lease.release()
            except Exception:  # it expires on its own
                log.exception("could not release the sweep lease")

    async def tick(self) -> int | None:
        """One sweep under the lease: the number of projects swept, or None when another replica holds it."""
        async with self._held() as held:
            if not held:
                self.skipped.inc()
                return None
            return await self._run_sweep()

    def start(self) -> None:
        self._periodic.start()

    async def stop(self) -> None:
        await self._periodic.stop()

    async def _round(self) -> None:
        """One tick; a failed sweep is retried at the next one (the alert watches max(last_sweep) over replicas)."""
        started = time.monotonic()
        try:
            projects = await self.tick()
        except LeaseLost:
            log.warning("sweep stopped: the sweep lease passed to another replica")
            return
        if projects is not None:
            self._metrics.swept.inc(projects)
            self._metrics.last_sweep.set_to_current_time()
            self._metrics.sweep_seconds.observe(time.monotonic() - started)
