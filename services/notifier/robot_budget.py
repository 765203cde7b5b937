"""The robots' rate limit, shared by every notifier replica: one token bucket per robot in the database.

DingTalk and WeCom count a robot's messages whoever sends them: two replicas each keeping 20 a
minute would send 40 and get the robot muted. So the bucket lives in the notifier's database and a
token is taken by compare-and-set: read the row, compute the bucket at `now` (TokenBucket's pure
arithmetic), write it back only if `version` is still what was read. A replica that lost the race
reads again. The read and the write are separate short transactions (no lock held in between, so
SQLite never has to upgrade a read lock under a writer); the version makes that safe.
"""
from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.notifier.rate_limit import BucketState, TokenBucket
from services.notifier.tables import robot_budgets
from shared.persistence import insert_ignoring_conflicts

# Enough for every replica to have its turn; past it the robot counts as busy this round (tried again next round).
MAX_ATTEMPTS = 20


def robot_key(channel: str, address: str) -> str:
    """A robot's address carries its access token: keep only a digest of it."""
    return hashlib.sha256(f"{channel}:{address}".encode()).hexdigest()


class RobotBudget:
    def __init__(self, sessions: async_sessionmaker, bucket: TokenBucket, clock: Callable[[], float] = time.time) -> None:
        self._sessions, self._bucket, self._clock = sessions, bucket, clock

    async def take(self, channel: str, address: str) -> bool:
        """One message's worth of the robot's budget, or False when the robot is at its limit."""
        key = robot_key(channel, address)
        for _ in range(MAX_ATTEMPTS):
            row = await self._read(key)
            if row is None:
                await self._create(key)
                continue
            state = self._bucket.refilled(BucketState(row.tokens, row.updated), self._clock())
            if not self._bucket.has_token(state):
                return False
            async with self._sessions() as session, session.begin():
                taken = await session.execute(
                    update(robot_budgets).where(robot_budgets.c.robot_key == key, robot_budgets.c.version == row.version)
                    .values(tokens=state.tokens - 1.0, updated=state.updated, version=row.version + 1))
            if taken.rowcount == 1:
                return True
        return False

    async def _read(self, key: str):  # noqa: ANN202 - a Row of robot_budgets
        async with self._sessions() as session:
            return (await session.execute(select(robot_budgets).where(robot_budgets.c.robot_key == key))).first()

    async def _create(self, key: str) -> None:
        """A full bucket for a robot never used; a replica creating it at the same moment is no error."""
        values = {"robot_key": key, "tokens": float(self._bucket.capacity), "updated": self._clock(), "version": 0}
        async with self._sessions() as session, session.begin():
            await session.execute(insert_ignoring_conflicts(session, robot_budgets, ["robot_key"]).values(values))
