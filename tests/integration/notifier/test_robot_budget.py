"""One robot budget for every replica: tokens taken by compare-and-set in the notifier's database (SQLite and PostgreSQL)."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.notifier.rate_limit import TokenBucket
from services.notifier.robot_budget import RobotBudget
from services.notifier.tables import robot_budgets
from shared.db import make_engine, migrate, session_factory

MIGRATIONS = Path(__file__).resolve().parents[3] / "services/notifier/migrations"
ROBOT = ("dingtalk", "https://oapi.dingtalk.com/robot/send?access_token=secret-part")


class Clock:
    def __init__(self) -> None:
        self.value = 1_000_000.0

    def __call__(self) -> float:
        return self.value


@pytest.fixture
async def two_replicas(database: tuple[str, str | None]) -> AsyncIterator[tuple[async_sessionmaker, async_sessionmaker]]:
    """Two engines on one database, as two notifier processes have."""
    url, schema = database
    await migrate(MIGRATIONS, url, schema)
    engines = [make_engine(url, schema), make_engine(url, schema)]
    yield session_factory(engines[0]), session_factory(engines[1])
    for engine in engines:
        await engine.dispose()


async def test_two_replicas_racing_spend_one_budget(two_replicas: tuple[async_sessionmaker, async_sessionmaker]) -> None:
    clock = Clock()
    bucket = TokenBucket.strict(20, 60.0)  # a burst of 10, then 10 more over the minute
    first, second = (RobotBudget(sessions, bucket, clock) for sessions in two_replicas)
    granted = await asyncio.gather(*(budget.take(*ROBOT) for _ in range(25) for budget in (first, second)))
    assert sum(granted) == 10  # per replica it would have been 20
    assert not await first.take(*ROBOT) and not await second.take(*ROBOT)

    clock.value += 6.0  # one token back (10 a minute)
    assert await second.take(*ROBOT)
    assert not await first.take(*ROBOT)
    clock.value += 60.0
    assert sum([await first.take(*ROBOT) for _ in range(15)]) == 10  # refilled to the burst, never beyond


async def test_the_address_and_its_token_are_not_stored(two_replicas: tuple[async_sessionmaker, async_sessionmaker]) -> None:
    sessions, _ = two_replicas
    assert await RobotBudget(sessions, TokenBucket.strict(20, 60.0), Clock()).take(*ROBOT)
    async with sessions() as session:
        [key] = (await session.execute(select(robot_budgets.c.robot_key))).scalars().all()
    assert "secret-part" not in key and len(key) == 64
