"""Tables every consuming service keeps in its own database: outbox, processed events, dead letters."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Integer, LargeBinary, MetaData, String, Table, Text, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts.base import Event
from shared.messaging import headers_for

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL wants BIGINT for a long-lived queue.
SequenceId = BigInteger().with_variant(Integer(), "sqlite")


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("seq", SequenceId, primary_key=True, autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("subject", String(200), nullable=False),
        Column("payload", LargeBinary, nullable=False),
        Column("headers", JSON, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
    )


def processed_events_table(metadata: MetaData) -> Table:
    return Table(
        "processed_events",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("processed_at", DateTime(timezone=True), nullable=False),
    )


def dead_letters_table(metadata: MetaData) -> Table:
    return Table(
        "dead_letters",
        metadata,
        Column("id", SequenceId, primary_key=True, autoincrement=True),
        Column("subject", String(200), nullable=False),
        Column("message_id", String(100), nullable=True),
        Column("payload", LargeBinary, nullable=False),
        Column("headers", JSON, nullable=False),
        Column("reason", Text, nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False),
        Column("replayed_at", DateTime(timezone=True), nullable=True),  # set when an operator sent it back
    )


def outbox_row(event: Event, subject: str, now: datetime) -> dict[str, Any]:
    return {
        "event_id": str(event.event_id),
        "subject": subject,
        "payload": event.model_dump_json().encode(),
        "headers": headers_for(event),
        "created_at": now,
    }


async def add_to_outbox(session: AsyncSession, table: Table, events: list[tuple[Event, str]], now: datetime) -> None:
    if events:
        await session.execute(insert(table), [outbox_row(event, subject, now) for event, subject in events])


async def already_processed(session: AsyncSession, table: Table, event_ids: list[str]) -> set[str]:
    if not event_ids:
        return set()
    rows = await session.execute(select(table.c.event_id).where(table.c.event_id.in_(event_ids)))
    return {row[0] for row in rows}


async def mark_processed(session: AsyncSession, table: Table, event_ids: list[str], now: datetime) -> None:
    if event_ids:
        await session.execute(insert(table), [{"event_id": event_id, "processed_at": now} for event_id in event_ids])


def utcnow() -> datetime:
    """Bookkeeping time (not business time, which comes from the injected clock)."""
    return datetime.now(UTC)
