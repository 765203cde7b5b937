"""交办函 numbers: sequential per county and year (督办〔2026〕7号), as an office numbers its letters, never from an id.

The next number is one past the last issued this year in the county, kept in `document_numbers` (kind "case-letter"),
so numbering a letter reads one row, not every letter of the county. A county-year with no row yet (letters numbered
before the counter existed) starts from the highest number on its letters, read once. On PostgreSQL an advisory lock
held to the end of the transaction serialises the replicas that number letters at the same time; SQLite has one
writer anyway.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.tables import cases, document_numbers

KIND = "case-letter"

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
    """The last sequence issued so far; on PostgreSQL the county's letters stay locked to the end of the transaction."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"tuijin-letters|{county_code}|{year}"))))
    last = await session.scalar(select(document_numbers.c.last).where(
        document_numbers.c.county_code == county_code, document_numbers.c.kind == KIND, document_numbers.c.year == year))
    if last is not None:
        return last
    letters = await session.scalars(select(cases.c.letter).where(cases.c.county_code == county_code, cases.c.ladder_level >= 2))
    return highest(letters, year)


async def record_issued(session: AsyncSession, county_code: str, year: int, last: int) -> None:
    """Remember the last sequence issued (in the transaction that issued it)."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    await session.execute(dialect.insert(document_numbers).values(county_code=county_code, kind=KIND, year=year, last=last)
                          .on_conflict_do_update(index_elements=["county_code", "kind", "year"], set_={"last": last}))


async def next_number(session: AsyncSession, county_code: str, year: int, prefix: str) -> str:
    sequence = await issued(session, county_code, year) + 1
    await record_issued(session, county_code, year, sequence)
    return formatted(prefix, year, sequence)


class Numbering:
    """Numbers for many letters in one transaction (cases opened or climbing together): each county's counter read
    at its first letter, and written once by `record`, one number after another in the order asked."""

    def __init__(self, session: AsyncSession, year: int) -> None:
        self._session, self._year = session, year
        self._last: dict[str, int] = {}

    async def next(self, county_code: str, prefix: str) -> str:
        if county_code not in self._last:
            self._last[county_code] = await issued(self._session, county_code, self._year)
        self._last[county_code] += 1
        return formatted(prefix, self._year, self._last[county_code])

    async def record(self) -> None:
        for county_code, last in self._last.items():
            await record_issued(self._session, county_code, self._year, last)
