"""Sign-in throttling and its audit: every attempt is a row; too many wrong ones per login or per address → 429.

Rows in the database, not memory, so the limit holds across replicas and a restart does not reset it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.tables import login_attempts

log = structlog.get_logger("escalation.login")


@dataclass(frozen=True)
class Limits:
    window: timedelta = timedelta(minutes=15)
    per_login: int = 5  # wrong passwords for one login within the window
    per_address: int = 20  # wrong passwords from one address, whatever the login


async def throttled(session: AsyncSession, login: str, address: str, now: datetime, limits: Limits) -> bool:
    since = now - limits.window
    wrong = (login_attempts.c.outcome == "wrong", login_attempts.c.at > since)
    by_login = await session.scalar(select(func.count()).where(login_attempts.c.login == login, *wrong))
    by_address = await session.scalar(select(func.count()).where(login_attempts.c.address == address, *wrong))
    return (by_login or 0) >= limits.per_login or (by_address or 0) >= limits.per_address


async def record_attempt(session: AsyncSession, login: str, address: str, outcome: str, now: datetime) -> None:
    await session.execute(login_attempts.insert().values(login=login[:50], address=address[:64], outcome=outcome, at=now))
    if outcome != "ok":
        log.warning("login refused", login=login[:50], address=address[:64], outcome=outcome)
