"""Tables every consuming service keeps in its own database: outbox, processed events, dead letters."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import TableValuedAlias

from shared.contracts.base import Event
from shared.messaging import headers_for

RELAY = "outbox_relay"  # Session.info: the OutboxRelay that publishes what this session's transactions commit
COMMITTED = "outbox_rows"  # Session.info: outbox rows written in the open transaction

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
    headers = headers_for(event)
    return {
        "event_id": headers["Nats-Msg-Id"],  # the event id's text, built once
        "subject": subject,
        "payload": event.model_dump_json().encode(),
        "headers": headers,
        "created_at": now,
    }


async def add_to_outbox(session: AsyncSession, table: Table, events: list[tuple[Event, str]], now: datetime) -> None:
    if events:
        rows = [outbox_row(event, subject, now) for event, subject in events]
        await session.execute(inserting(table), rows)
        hand_over_after_commit(session.sync_session, rows)


async def take_unprocessed(session: AsyncSession, table: Table, event_ids: list[str], now: datetime) -> list[bool]:
    """Mark these events processed, in the caller's transaction; for each position of `event_ids`, whether to process
    it: True for the first copy of an id not processed before, False for one processed before and for a repeat.

    One statement (INSERT … ON CONFLICT DO NOTHING RETURNING) where reading and then marking took two:
    a consumer's batch costs a statement less."""
    unique = list(dict.fromkeys(event_ids))
    if not unique:
        return []
    marks = [{"event_id": event_id, "processed_at": now} for event_id in unique]
    new = set((await session.execute(_marking_processed(session.bind.dialect.name, table), marks)).scalars())
    first = []
    for event_id in event_ids:
        first.append(event_id in new)
        new.discard(event_id)
    return first


def insert_ignoring_conflicts(session: AsyncSession, table: Table, index_elements: list[str]) -> Any:
    """INSERT … ON CONFLICT (index_elements) DO NOTHING, in the session's dialect (PostgreSQL or SQLite)."""
    return _ignoring_conflicts(session.bind.dialect.name, table, tuple(index_elements))


# Statements on a batch's path are built once and reused: building one and computing its cache key cost more than
# running it for a small batch (≈0.1 ms each). Tables and dialect names are few, so these caches stay small.
@cache
def inserting(table: Table) -> Any:
    """INSERT INTO table, for an executemany of whole rows."""
    return insert(table)


@cache
def _ignoring_conflicts(dialect_name: str, table: Table, index_elements: tuple[str, ...]) -> Any:
    dialect = postgresql if dialect_name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing(index_elements=list(index_elements))


@cache
def _marking_processed(dialect_name: str, table: Table) -> Any:
    return _ignoring_conflicts(dialect_name, table, ("event_id",)).returning(table.c.event_id)


def unnest_arrays(types: Mapping[str, Any], name: str | None = None, prefix: str = "") -> TableValuedAlias:
    """PostgreSQL: `unnest(<an array per column>) AS name(columns)`, rows from one array per column, each bound as
    `<prefix><column>`: many rows in one statement, where an executemany cost a round trip per statement. Each array
    has one dimension: a JSON value that is a list stays one element (an undimensioned ARRAY took it for a second
    dimension, and unnest then padded the other columns with NULLs)."""
    arrays = [bindparam(f"{prefix}{column}", type_=postgresql.ARRAY(type_, dimensions=1)) for column, type_ in types.items()]
    return func.unnest(*arrays).table_valued(*types).render_derived(name=name)


def insert_from_arrays(table: Table, columns: Sequence[str]) -> postgresql.Insert:
    """PostgreSQL: INSERT INTO table (columns) SELECT … FROM unnest(…), to go into a WITH beside other writes; its
    arrays bind as `<table>_<column>`, and `as_arrays` gives their values."""
    rows = unnest_arrays({column: table.c[column].type for column in columns}, prefix=f"{table.name}_")
    return postgresql.insert(table).from_select(list(columns), select(*(rows.c[column] for column in columns)))


def as_arrays(table: Table, columns: Sequence[str], rows: Sequence[dict[str, Any]]) -> dict[str, list[Any]]:
    """The values of `insert_from_arrays(table, columns)` for `rows`."""
    return {f"{table.name}_{column}": [row[column] for row in rows] for column in columns}


def hand_over_after_commit(session: Session, rows: list[dict[str, Any]]) -> None:
    """Once this transaction commits, `rows` go to the session's outbox relay in memory (if it has one),
    so it need not read them back; a rollback drops them."""
    if session.info.get(RELAY) is not None:
        session.info.setdefault(COMMITTED, []).extend(rows)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    if rows := session.info.pop(COMMITTED, None):
        session.info[RELAY].committed(rows)


@event.listens_for(Session, "after_rollback")
def _rolled_back(session: Session) -> None:
    session.info.pop(COMMITTED, None)


def utcnow() -> datetime:
    """Bookkeeping time (not business time, which comes from the injected clock)."""
    return datetime.now(UTC)
