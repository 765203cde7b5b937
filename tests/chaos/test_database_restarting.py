"""A PostgreSQL that is shutting down or starting up refuses sessions with SQLSTATE 57P03: a batch that meets it is
redelivered, not split and kept as dead letters. test_b_database_stopped_under_load, on a box loaded by a profiler,
lost one acknowledged update to the dead letters; its reason went with the scenario's directory, and this is the
path that does it (before the fix, all three items here were kept, "the database system is shutting down")."""
from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text

from shared.batching import BatchCommitter
from shared.db import make_engine
from tests.chaos.harness import ThrowawayPostgres

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]


class Message:
    """What BatchCommitter settles: records how."""

    def __init__(self, n: int) -> None:
        self.subject, self.data, self.headers, self.settled = "tuijin.test", str(n).encode(), {}, []
        self.metadata = type("Metadata", (), {"num_delivered": 1})()

    async def ack(self) -> None:
        self.settled.append("ack")

    async def nak(self, delay: float | None = None) -> None:
        self.settled.append("nak")

    async def term(self) -> None:
        self.settled.append("term")


class KeptHere:
    def __init__(self) -> None:
        self.reasons: list[str] = []

    async def keep_raw(self, raw: Any, reason: str) -> None:  # noqa: ANN401 - a message
        self.reasons.append(reason)


async def refused_as_shutting_down(dsn: str) -> None:
    for _ in range(200):
        try:
            connection = await asyncpg.connect(dsn)
        except asyncpg.CannotConnectNowError:
            return
        await connection.close()
        await asyncio.sleep(0.05)
    raise AssertionError("the server still accepts sessions")


async def test_a_batch_that_meets_a_database_shutting_down_is_redelivered_and_nothing_is_kept_as_a_dead_letter() -> None:
    pg = ThrowawayPostgres.started()
    dsn = f"postgresql://postgres@127.0.0.1:{pg.port}/postgres"
    holder = await asyncpg.connect(dsn)  # the session a smart shutdown waits for
    engine = make_engine(pg.url)
    try:
        pg.begin_smart_shutdown()
        await refused_as_shutting_down(dsn)

        async def process(items: list[int]) -> None:  # any statement: the session cannot even start
            async with engine.begin() as connection:
                await connection.execute(text("SELECT 1"))

        kept, messages = KeptHere(), [Message(n) for n in range(3)]
        outcome = await BatchCommitter(process, kept).handle([0, 1, 2], messages)  # type: ignore[arg-type]
        assert kept.reasons == [], "a valid item was kept as a dead letter"
        assert (outcome, [m.settled for m in messages]) == ("retried", [["nak"]] * 3)
    finally:
        await engine.dispose()
        await holder.close()
        for _ in range(200):  # the smart shutdown ends with its last session
            if not pg.running():
                break
            await asyncio.sleep(0.05)
        pg.destroy()
