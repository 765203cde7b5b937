"""PostgreSQL connections are pinged before use only after sitting idle (shared.db.ping_when_idle).

pool_pre_ping cost three round trips (BEGIN, a ping, ROLLBACK) before every transaction. A busy connection
now goes straight to work, and one left idle across a database restart is still found dead and replaced
before the caller's transaction, on a PostgreSQL of the test's own that it restarts.
"""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection

from shared import db
from tests.chaos.harness import ThrowawayPostgres

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg() -> Iterator[ThrowawayPostgres]:
    cluster = ThrowawayPostgres.started()
    yield cluster
    cluster.destroy()


@pytest.fixture
def pings(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """When the pool pinged a connection."""
    seen: list[float] = []
    ping = AsyncAdapt_asyncpg_connection.ping

    def counted(self: AsyncAdapt_asyncpg_connection) -> None:
        seen.append(time.monotonic())
        ping(self)

    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "ping", counted)
    return seen


async def one_transaction(engine) -> int:  # type: ignore[no-untyped-def]
    async with engine.begin() as connection:
        return (await connection.execute(text("SELECT 1"))).scalar_one()


async def test_a_connection_used_moments_ago_goes_to_work_unpinged_and_an_idle_one_is_pinged(
    pg: ThrowawayPostgres, pings: list[float], monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = db.make_engine(pg.url)
    try:
        for _ in range(5):
            assert await one_transaction(engine) == 1
        assert pings == []
        monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)  # every connection counts as idle now
        assert await one_transaction(engine) == 1
        assert len(pings) == 1
    finally:
        await engine.dispose()


async def test_a_connection_left_idle_across_a_database_restart_is_replaced_before_the_next_transaction(
    pg: ThrowawayPostgres, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.2)
    engine = db.make_engine(pg.url)
    try:
        assert await one_transaction(engine) == 1
        idle_from = time.monotonic()
        pg.stop()
        pg.start()
        time.sleep(max(0.0, idle_from + 0.2 - time.monotonic()))  # the restart itself usually takes longer
        assert await one_transaction(engine) == 1  # no error reaches the caller
    finally:
        await engine.dispose()
