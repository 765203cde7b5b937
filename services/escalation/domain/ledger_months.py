"""Ledger months ("YYYY-MM") and the investment done in one, read alike by R5's 欠序时进度 and its 下月计划 check."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from services.escalation.domain.facts import LedgerEntry


def month_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def months_back(last: str, count: int) -> list[str]:
    """`count` months ending with `last`, oldest first (they may cross into the previous year)."""
    year, month = int(last[:4]), int(last[5:])
    months = []
    for _ in range(count):
        months.append(month_key(year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


def previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:])
    return month_key(year - 1, 12) if number == 1 else month_key(year, number - 1)


def last_complete_month(as_of: date) -> str:
    """The newest month that is over on `as_of`: a month still running has no final figures yet."""
    last_day = as_of.replace(day=1) - timedelta(days=1)
    return month_key(last_day.year, last_day.month)


def done_in(by_month: Mapping[str, LedgerEntry], month: str) -> int | None:
    """Investment done in a month: its own figure, else the difference of the year-to-date figures."""
    entry = by_month.get(month)
    if entry is None:
        return None
    if entry.investment_fen is not None:
        return entry.investment_fen
    if entry.ytd_fen is None:
        return None
    if month.endswith("-01"):
        return entry.ytd_fen
    before = by_month.get(previous_month(month))
    return entry.ytd_fen - before.ytd_fen if before is not None and before.ytd_fen is not None else None
