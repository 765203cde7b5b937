"""A service's own database for a test, migrated to its newest version (the `database` fixture's SQLite file or
PostgreSQL schema)."""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.ext.asyncio import async_sessionmaker

from shared.db import make_engine, migrate, session_factory

ROOT = Path(__file__).resolve().parents[2]


@asynccontextmanager
async def migrated(service: str, database: tuple[str, str | None]) -> AsyncIterator[async_sessionmaker]:
    """Sessions on `service`'s migrated database; the engine is disposed of afterwards."""
    url, schema = database
    await migrate(ROOT / "services" / service / "migrations", url, schema)
    engine = make_engine(url, schema)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()
