"""What the services read back from a statement is the same through the one-hop SQLite cursor (shared/sqlite_driver.py)
as through PostgreSQL: rows, counts of rows changed, new row ids, constraint errors, and the idempotency marks."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, update
from sqlalchemy.exc import IntegrityError

from shared.db import create_schema, make_engine, session_factory
from shared.persistence import processed_events_table, take_unprocessed
from shared.sqlite_driver import OneHopConnection

metadata = MetaData()
items = Table("items", metadata, Column("id", Integer, primary_key=True, autoincrement=True),
              Column("name", String(20), unique=True, nullable=False), Column("version", Integer, nullable=False))
processed = processed_events_table(metadata)
NOW = datetime(2026, 3, 2, tzinfo=UTC)


@pytest.fixture
async def sessions(database):  # type: ignore[no-untyped-def]
    url, schema = database
    await create_schema(url, schema)
    engine = make_engine(url, schema)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield session_factory(engine)
    await engine.dispose()


async def test_sqlite_statements_go_through_the_one_hop_cursor(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        assert isinstance(raw.dbapi_connection, OneHopConnection)
    await engine.dispose()


async def test_rows_counts_ids_and_errors_read_back_as_the_database_gave_them(sessions) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as session, session.begin():
        first = await session.execute(insert(items).values(name="a", version=1))
        assert first.inserted_primary_key == (1,)
        await session.execute(insert(items), [{"name": "b", "version": 1}, {"name": "c", "version": 1}])
    async with sessions() as session, session.begin():
        guarded = update(items).where(items.c.name == "b", items.c.version == 1).values(version=2)
        assert (await session.execute(guarded)).rowcount == 1
        assert (await session.execute(guarded)).rowcount == 0  # the version guard saw the first write
        changed = await session.execute(update(items).where(items.c.name.in_(["a", "c"])).values(version=3).returning(items.c.name))
        assert sorted(changed.scalars()) == ["a", "c"]
    async with sessions() as session:
        assert (await session.execute(select(items.c.name, items.c.version).order_by(items.c.id))).all() == [("a", 3), ("b", 2), ("c", 3)]
    with pytest.raises(IntegrityError):
        async with sessions() as session, session.begin():
            await session.execute(insert(items).values(name="a", version=1))


async def test_an_event_is_taken_once_whatever_the_batches_and_a_rolled_back_batch_takes_nothing(sessions) -> None:  # type: ignore[no-untyped-def]
    async with sessions() as session, session.begin():
        assert await take_unprocessed(session, processed, ["e1", "e2", "e1"], NOW) == [True, True, False]
    with pytest.raises(RuntimeError):
        async with sessions() as session, session.begin():
            assert await take_unprocessed(session, processed, ["e3"], NOW) == [True]
            raise RuntimeError("the batch failed")
    async with sessions() as session, session.begin():
        assert await take_unprocessed(session, processed, ["e2", "e3", "e4"], NOW) == [False, True, True]
        assert await take_unprocessed(session, processed, [], NOW) == []
