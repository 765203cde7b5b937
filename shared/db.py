"""Engines and migrations: SQLite by default, PostgreSQL with one schema per service."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from shared.json_text import dumps
from shared.sqlite_driver import one_hop_dbapi


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, schema: str | None = None) -> AsyncEngine:
    """SQLite in WAL with a busy timeout; PostgreSQL pinned to the service's own schema."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30}, module=one_hop_dbapi(), json_serializer=dumps)

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    connect_args = {"server_settings": {"search_path": schema}} if schema else {}
    engine = create_async_engine(url, connect_args=connect_args, pool_size=10, pool_use_lifo=True, json_serializer=dumps)
    ping_when_idle(engine)
    return engine


PING_AFTER_IDLE_SECONDS = 5.0


def ping_when_idle(engine: AsyncEngine) -> None:
    """Ping a pooled connection before use only if it sat idle: pool_pre_ping pings at every checkout, three round
    trips (BEGIN, the ping, ROLLBACK) before every transaction (~5% of notifier's CPU on PostgreSQL at 500 updates/s,
    and latency on every hop). A connection checked in moments ago is alive; one idle for a while may have been cut
    (a database restart, a firewall), and a failed ping replaces it before the transaction starts, as pre_ping would.
    The pool is LIFO, so under load the same few connections stay busy and the spare ones are the idle ones. A
    connection cut while in use fails its transaction either way; SQLAlchemy then invalidates the pool and the caller
    retries."""
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def _idle_from(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["idle_from"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        idle_from = record.info.pop("idle_from", None)  # a new connection has none: it was just made
        if idle_from is not None and time.monotonic() - idle_from >= PING_AFTER_IDLE_SECONDS:
            try:
                dbapi_connection.ping()
            except Exception as error:  # the pool discards it and checks out another (its documented contract)
                raise DisconnectionError(f"an idle connection failed its ping: {error}") from error


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    return async_sessionmaker(engine, expire_on_commit=False)


async def create_schema(url: str, schema: str | None) -> None:
    if schema and not is_sqlite(url):
        engine = create_async_engine(url)
        async with engine.begin() as connection:
            await connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
        await engine.dispose()


def _alembic_config(migrations_dir: Path, url: str, schema: str | None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.attributes["url"] = url
    config.attributes["schema"] = schema
    return config


async def migrate(migrations_dir: Path, url: str, schema: str | None = None, revision: str = "head") -> None:
    """Bring the service's database to the newest migration, or to `revision` (Alembic runs its own event loop)."""
    await create_schema(url, schema)
    config = _alembic_config(migrations_dir, url, schema)
    await asyncio.to_thread(command.upgrade, config, revision)


BEGIN_IMMEDIATE = text("BEGIN IMMEDIATE")  # built once: it opens a transaction of every escalation batch on SQLite


T = TypeVar("T")


def run_on_store(migrations_dir: Path, url: str, schema: str | None, work: Callable[[async_sessionmaker], Awaitable[T]]) -> T:
    """A command line's work on a service's store, in its own event loop: migrated first, the engine disposed after."""
    async def run() -> T:
        await migrate(migrations_dir, url, schema)
        engine = make_engine(url, schema)
        try:
            return await work(session_factory(engine))
        finally:
            await engine.dispose()

    return asyncio.run(run())


async def lock_for_writing(session: AsyncSession) -> None:
    """First statement of a transaction that reads, decides and writes, where another process may write too.

    SQLite: take the database's write lock now (BEGIN IMMEDIATE, waiting up to busy_timeout), because
    pysqlite runs every SELECT before the first write outside the transaction, so what was read could be
    stale by the time it is written. PostgreSQL: nothing; the rows are locked where they are read.
    """
    if session.bind.dialect.name == "sqlite":
        await session.execute(BEGIN_IMMEDIATE)
