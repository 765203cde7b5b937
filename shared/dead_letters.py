"""Poison messages are terminated in JetStream but kept here, with the reason, for audit and replay."""
from __future__ import annotations

import logging

from nats.aio.msg import Msg
from prometheus_client import CollectorRegistry, Counter
from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import async_sessionmaker

from shared.persistence import utcnow

log = logging.getLogger(__name__)


class DeadLetters:
    def __init__(self, sessions: async_sessionmaker, table: Table, registry: CollectorRegistry, service: str) -> None:
        self._sessions, self._table = sessions, table
        self._counter = Counter(f"{service}_dead_letters_total", "Messages terminated as poison and kept", ["subject_kind"], registry=registry)

    async def keep_raw(self, raw: Msg, reason: str) -> None:
        headers = dict(raw.headers or {})
        async with self._sessions() as session, session.begin():
            await session.execute(insert(self._table).values(
                subject=raw.subject, message_id=headers.get("Nats-Msg-Id"), payload=raw.data,
                headers=headers, reason=reason[:4000], received_at=utcnow(),
            ))
        self._counter.labels(subject_kind=".".join(raw.subject.split(".")[2:])).inc()
        log.error("dead letter on %s: %s", raw.subject, reason)
