"""The body of every service's Alembic env.py: online migrations over the async engine."""
from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from shared.db import make_engine


def _run(connection: Connection, metadata: MetaData) -> None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


async def _run_async(metadata: MetaData) -> None:
    config = context.config
    engine = make_engine(config.attributes["url"], config.attributes.get("schema"))
    async with engine.connect() as connection:
        await connection.run_sync(_run, metadata)
        await connection.commit()
    await engine.dispose()


def run_migrations(metadata: MetaData) -> None:
    asyncio.run(_run_async(metadata))
