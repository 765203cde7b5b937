"""Messages that failed for good are kept here, with the reason, for audit and replay.

Two ways in: a poison message is terminated by its consumer (keep_raw), and a message JetStream
stopped delivering after MAX_DELIVER attempts is picked up from the advisory (shared.max_deliveries).
An operator lists them and, after a fix, replays them to their original subject (`tuijin dead-letters`).
"""
from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from prometheus_client import CollectorRegistry, Counter
from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from shared.logs import bound_to
from shared.messaging import publish_all
from shared.persistence import utcnow

log = logging.getLogger(__name__)
REPLAY_OF_HEADER = "Tuijin-Replay-Of"  # the message id the replay stands for, for whoever audits later
REPLAY_CHUNK = 100  # one round of async publish acks; rows are marked only for what JetStream stored


class DeadLetters:
    def __init__(self, sessions: async_sessionmaker, table: Table, registry: CollectorRegistry, service: str) -> None:
        self._sessions, self._table = sessions, table
        self._counter = Counter(f"{service}_dead_letters_total", "Messages that failed for good (poison or max deliveries) and were kept",
                                ["subject_kind"], registry=registry)

    async def keep_raw(self, raw: Msg, reason: str) -> None:
        await self.keep(raw.subject, raw.data, dict(raw.headers or {}), reason)

    async def keep(self, subject: str, payload: bytes, headers: Mapping[str, str], reason: str) -> None:
        headers = dict(headers)
        async with self._sessions() as session, session.begin():
            await session.execute(insert(self._table).values(
                subject=subject, message_id=headers.get("Nats-Msg-Id"), payload=payload,
                headers=headers, reason=reason[:4000], received_at=utcnow(),
            ))
        self._counter.labels(subject_kind=".".join(subject.split(".")[2:])).inc()
        with bound_to(payload):
            log.error("dead letter on %s: %s", subject, reason)


async def list_dead_letters(sessions: async_sessionmaker, table: Table, limit: int = 50, include_replayed: bool = False) -> list[dict[str, Any]]:
    """Newest first: what an on-call engineer looks at is what just broke."""
    query = select(table.c.id, table.c.subject, table.c.message_id, table.c.reason, table.c.received_at, table.c.replayed_at)
    if not include_replayed:
        query = query.where(table.c.replayed_at.is_(None))
    async with sessions() as session:
        rows = await session.execute(query.order_by(table.c.id.desc()).limit(limit))
        return [dict(row) for row in rows.mappings()]


def replay_headers(kept: Mapping[str, str]) -> dict[str, str]:
    """The kept headers minus JetStream's publish directives, with a NEW Nats-Msg-Id: the old one
    may still be inside the duplicate window and the replay would be silently dropped. Consumers
    deduplicate by the event id in the body, so a replay of something already applied is harmless."""
    headers = {key: value for key, value in kept.items() if not key.startswith("Nats-")}
    headers[REPLAY_OF_HEADER] = kept.get("Nats-Msg-Id", "")
    headers["Nats-Msg-Id"] = str(uuid.uuid4())
    return headers


async def replay(sessions: async_sessionmaker, table: Table, js: JetStreamContext, ids: list[int] | None, force: bool = False) -> int:
    """Republish the kept payloads (these ids, or every one) to their original subjects, oldest first,
    and mark them replayed. Rows already replayed are skipped unless forced. Returns how many went out.

    Publish, then mark: a crash in between replays that row again next time, which consumers absorb."""
    query = select(table.c.id, table.c.subject, table.c.payload, table.c.headers).order_by(table.c.id)
    if ids is not None:
        query = query.where(table.c.id.in_(ids))
    if not force:
        query = query.where(table.c.replayed_at.is_(None))
    async with sessions() as session:
        rows = (await session.execute(query)).mappings().all()
    replayed = 0
    for start in range(0, len(rows), REPLAY_CHUNK):
        chunk = rows[start:start + REPLAY_CHUNK]
        results = await publish_all(js, [(row["subject"], bytes(row["payload"]), replay_headers(row["headers"] or {})) for row in chunk])
        stored = [row["id"] for row, error in zip(chunk, results, strict=True) if error is None]
        for row, error in zip(chunk, results, strict=True):
            if error is not None:
                log.error("dead letter %s not replayed to %s: %r", row["id"], row["subject"], error)
        if stored:
            async with sessions() as session, session.begin():
                await session.execute(update(table).where(table.c.id.in_(stored)).values(replayed_at=utcnow()))
        replayed += len(stored)
    return replayed
