"""交办函 numbers: sequential per county and year (督办〔2026〕7号), as an office numbers its letters, never from an id.

The next number is one past the highest issued this year in the county. On PostgreSQL an advisory lock held to the
end of the transaction serialises the replicas that number letters at the same time; SQLite has one writer anyway.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.tables import cases

_SEQUENCE = re.compile(r"〔(\d{4})〕(\d+)号$")


def highest(letters: Iterable[dict[str, Any] | None], year: int) -> int:
    """The highest sequence among this year's numbered letters (letters numbered the old way, from an id, do not count)."""
    found = 0
    for letter in letters:
        match = _SEQUENCE.search(str((letter or {}).get("number") or ""))
        if match and int(match.group(1)) == year:
            found = max(found, int(match.group(2)))
    return found


def formatted(prefix: str, year: int, sequence: int) -> str:
    return f"{prefix}〔{year}〕{sequence}号"


async def issued(session: AsyncSession, county_code: str, year: int) -> int:
    """The highest sequence issued so far; on PostgreSQL the county's letters stay locked to the end of the transaction."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"tuijin-letters|{county_code}|{year}"))))
    letters = await session.scalars(select(cases.c.letter).where(cases.c.county_code == county_code, cases.c.ladder_level >= 2))
    return highest(letters, year)


async def next_number(session: AsyncSession, county_code: str, year: int, prefix: str) -> str:
    return formatted(prefix, year, await issued(session, county_code, year) + 1)
