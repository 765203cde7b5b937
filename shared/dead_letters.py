"""Poison messages are terminated in JetStream but kept here, with the reason, for audit and replay."""
from __future__ import annotations

import logging
from typing import Any

from faststream import BaseMiddleware
from faststream.exceptions import HandlerException
from faststream.nats import NatsMessage
from prometheus_client import CollectorRegistry, Counter
from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import async_sessionmaker

from shared.persistence import utcnow

log = logging.getLogger(__name__)


class DeadLetters:
    def __init__(self, sessions: async_sessionmaker, table: Table, registry: CollectorRegistry, service: str) -> None:
        self._sessions, self._table = sessions, table
        self._counter = Counter(f"{service}_dead_letters_total", "Messages terminated as poison and kept", ["subject_kind"], registry=registry)

    def middleware(self) -> type[BaseMiddleware]:
        """A FastStream middleware: whatever escapes a handler (a body that does not decode, a bug)
        is kept here before JetStream terminates it (REJECT_ON_ERROR). Retries the handler asked
        for (NackMessage) pass through untouched."""
        dead_letters = self

        class KeepPoison(BaseMiddleware):
            async def consume_scope(self, call_next: Any, msg: Any) -> Any:
                try:
                    return await call_next(msg)
                except HandlerException:
                    raise
                except Exception as error:
                    await dead_letters.keep(msg, f"{type(error).__name__}: {error}")
                    raise

        return KeepPoison

    async def keep(self, message: NatsMessage, reason: str) -> None:
        raw = message.raw_message
        headers = dict(raw.headers or {})
        async with self._sessions() as session, session.begin():
            await session.execute(insert(self._table).values(
                subject=raw.subject, message_id=headers.get("Nats-Msg-Id"), payload=raw.data,
                headers=headers, reason=reason[:4000], received_at=utcnow(),
            ))
        self._counter.labels(subject_kind=".".join(raw.subject.split(".")[2:])).inc()
        log.error("dead letter on %s: %s", raw.subject, reason)
