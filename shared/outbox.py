"""The outbox relay: publishes committed events to JetStream, then deletes them.

A state change and its events are committed together (see persistence.add_to_outbox); this relay
is the only thing that moves them to NATS. A crash between publish and delete publishes again
with the same Nats-Msg-Id, which JetStream drops inside its duplicate window and consumers ignore
after it. Works on SQLite (one writer) and PostgreSQL (replicas skip each other's locked rows).

The rows a transaction of this process wrote reach the relay in memory once that transaction has
committed (the session's after_commit), so the relay publishes them without reading them back, and
deletes what it published in one statement every DELETE_EVERY_SECONDS rather than one transaction
per round: a consumer's batch costs a SELECT and a transaction less. Reading the table (`relay_once`)
remains for everything else: rows left by a crash or a failed publish, and rows other processes
committed. It runs every `poll_seconds`, and once more before the relay stops.
"""
from __future__ import annotations

import asyncio
import logging
import time

from nats.js import JetStreamContext
from prometheus_client import CollectorRegistry, Gauge
from sqlalchemy import Table, bindparam, delete, func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from shared.logs import bound_to
from shared.messaging import publish_all
from shared.persistence import RELAY, utcnow

log = logging.getLogger(__name__)
DELETE_EVERY_SECONDS = 0.2


class OutboxRelay:
    def __init__(
        self,
        sessions: async_sessionmaker,
        table: Table,
        js: JetStreamContext,
        registry: CollectorRegistry,
        service: str,
        batch_size: int = 500,
        poll_seconds: float = 1.0,
    ) -> None:
        self._sessions, self._table, self._js = sessions, table, js
        self._delete = delete(table).where(table.c.event_id.in_(bindparam("ids", expanding=True)))  # built once, run often
        self._batch_size, self._poll_seconds = batch_size, poll_seconds
        self._in_memory: list[dict] = []  # committed by this process, not yet published
        self._published: list[str] = []  # published, not yet deleted
        self._last_poll = self._published_since = 0.0
        sessions.configure(info={RELAY: self})  # the sessions this relay serves hand it what they commit
        self._wakeup = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._pending = Gauge(f"{service}_outbox_pending_events", "Events committed but not yet published", registry=registry)
        self._oldest = Gauge(f"{service}_outbox_oldest_age_seconds", "Age of the oldest unpublished event", registry=registry)
        self._last_gauge_update = 0.0

    def committed(self, rows: list[dict]) -> None:
        """Rows a transaction of this process has just committed: publish them without reading them back."""
        self._in_memory += rows
        self._wakeup.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        """Drain what is committed, then stop: a graceful shutdown leaves nothing behind."""
        self._stopping = True
        self._wakeup.set()
        if self._task:
            await self._task

    async def _run(self) -> None:
        while True:
            try:
                published = await self._round()
                await self._update_gauges()  # reads the database too: inside, or an outage would end the relay for good
            except Exception:  # the database or NATS is away: keep the rows, try again
                log.exception("outbox relay round failed")
                published = 0
                await asyncio.sleep(self._poll_seconds)
            if self._stopping and published == 0 and not self._in_memory:
                await self._delete_published(force=True)
                return
            if not self._stopping and published < self._batch_size and not self._in_memory:
                try:
                    await asyncio.wait_for(self._wakeup.wait(), DELETE_EVERY_SECONDS if self._published else self._poll_seconds)
                except TimeoutError:
                    pass
                self._wakeup.clear()

    async def _round(self) -> int:
        """What this process committed; at every poll, first that, then what the table still holds."""
        if not self._stopping and time.monotonic() - self._last_poll < self._poll_seconds:
            published = await self._publish_in_memory()
            await self._delete_published()
            return published
        published = 0
        while self._in_memory:  # all of it first, so the read below finds none of it unpublished
            published += await self._publish_in_memory()
        await self._delete_published(force=True)
        self._last_poll = time.monotonic()
        return published + await self.relay_once()

    async def _publish_in_memory(self) -> int:
        rows, self._in_memory = self._in_memory[: self._batch_size], self._in_memory[self._batch_size :]
        if not rows:
            return 0
        results = await publish_all(self._js, [(row["subject"], row["payload"], row["headers"]) for row in rows])
        published = [row["event_id"] for row, error in zip(rows, results, strict=False) if error is None]
        if published and not self._published:
            self._published_since = time.monotonic()
        self._published += published
        if len(published) < len(rows):  # they stay in the table: the next read of it publishes them
            log.warning("outbox: %d of %d events not acknowledged, kept for the next round", len(rows) - len(published), len(rows))
        return len(published)

    async def _delete_published(self, force: bool = False) -> None:
        """One statement for what was published since the last one: at most DELETE_EVERY_SECONDS late."""
        if not self._published or not (force or len(self._published) >= self._batch_size
                                        or time.monotonic() - self._published_since >= DELETE_EVERY_SECONDS):
            return
        done, self._published = self._published, []
        try:
            async with self._sessions() as session, session.begin():
                for start in range(0, len(done), self._batch_size):
                    await session.execute(self._delete, {"ids": done[start:start + self._batch_size]})
        except Exception:
            self._published = done + self._published  # published already: deleting them can wait for the next round
            raise

    async def relay_once(self) -> int:
        """Publish one batch in commit order; return how many were published."""
        table = self._table
        async with self._sessions() as session, session.begin():
            query = select(table.c.seq, table.c.event_id, table.c.subject, table.c.payload, table.c.headers).order_by(table.c.seq).limit(self._batch_size)
            if session.bind.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            rows = (await session.execute(query)).all()
            if not rows:
                return 0
            results = await publish_all(self._js, [(row.subject, row.payload, dict(row.headers)) for row in rows])
            # By event id, not seq: SQLite reuses the seq (rowid) of deleted rows, so with several relays a seq read
            # here may already name another, unpublished event by the time this deletes.
            published = [row.event_id for row, error in zip(rows, results, strict=False) if error is None]
            if log.isEnabledFor(logging.DEBUG):  # one line per event: for tracing a record, too many for INFO
                for row in rows[: len(published)]:
                    with bound_to(row.payload):
                        log.debug("published to %s", row.subject)
            if published:
                await session.execute(self._delete, {"ids": published})
            failed = len(rows) - len(published)
            if failed:
                log.warning("outbox: %d of %d events not acknowledged, kept for the next round", failed, len(rows))
            return len(published)

    async def _update_gauges(self) -> None:
        if time.monotonic() - self._last_gauge_update < 1.0:
            return
        self._last_gauge_update = time.monotonic()
        table = self._table
        async with self._sessions() as session:
            count, oldest = (await session.execute(select(func.count(), func.min(table.c.created_at)))).one()
        self._pending.set(count)
        if oldest is not None and oldest.tzinfo is None:  # SQLite returns naive UTC
            oldest = oldest.replace(tzinfo=utcnow().tzinfo)
        self._oldest.set((utcnow() - oldest).total_seconds() if oldest else 0)
