"""Engines and migrations: SQLite by default, PostgreSQL with one schema per service."""
from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

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
    return create_async_engine(url, connect_args=connect_args, pool_size=10, pool_pre_ping=True, json_serializer=dumps)


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


async def migrate(migrations_dir: Path, url: str, schema: str | None = None) -> None:
    """Bring the service's database to the newest migration (Alembic runs its own event loop)."""
    await create_schema(url, schema)
    config = _alembic_config(migrations_dir, url, schema)
    await asyncio.to_thread(command.upgrade, config, "head")


async def lock_for_writing(session: AsyncSession) -> None:
    """First statement of a transaction that reads, decides and writes, where another process may write too.

    SQLite: take the database's write lock now (BEGIN IMMEDIATE, waiting up to busy_timeout), because
    pysqlite runs every SELECT before the first write outside the transaction, so what was read could be
    stale by the time it is written. PostgreSQL: nothing; the rows are locked where they are read.
    """
    if session.bind.dialect.name == "sqlite":
        await session.execute(text("BEGIN IMMEDIATE"))
