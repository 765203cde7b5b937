"""Working days on the official Chinese calendar (chinesecalendar: State Council holidays and adjusted weekends).

For a year the State Council has not announced yet (the package raises NotImplementedError), only
weekends are rest days and every deadline computed through such a day is marked provisional.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

import chinese_calendar

_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Deadline:
    due: date
    provisional: bool = False  # some day on the way was judged by weekends only


@lru_cache(maxsize=8192)  # chinesecalendar checks its whole table's range on every call; the sweep asks for the same days often
def is_workday(day: date) -> tuple[bool, bool]:
    """(working day?, provisional?) for one Beijing date."""
    try:
        return chinese_calendar.is_workday(day), False
    except NotImplementedError:
        return day.weekday() < 5, True


def add_workdays(start: date, count: int) -> Deadline:
    """The last day of a period of `count` working days counted from the day after `start`."""
    if count < 1:
        raise ValueError("count must be at least 1")
    day, left, provisional = start, count, False
    while left:
        day += _DAY
        working, unsure = is_workday(day)
        provisional |= unsure
        left -= working
    return Deadline(day, provisional)


def next_workday_on_or_after(day: date) -> Deadline:
    """民法典 Art. 203: a period whose last day is a rest day or holiday ends on the first working day after it."""
    provisional = False
    while True:
        working, unsure = is_workday(day)
        provisional |= unsure
        if working:
            return Deadline(day, provisional)
        day += _DAY


def add_days(start: date, days: int) -> Deadline:
    """A period of calendar days (e.g. "reply within 30 days"), its last day moved off a holiday."""
    return next_workday_on_or_after(start + timedelta(days=days))
