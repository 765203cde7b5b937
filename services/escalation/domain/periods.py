"""Civil Code period counting (民法典 Art. 201-203) with pauses for government-caused delays."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from functools import lru_cache

from dateutil.relativedelta import relativedelta

Pause = tuple[date, date | None]
_DAY = timedelta(days=1)


@lru_cache(maxsize=65536)  # pure, and a sweep asks for the same few start days over and over (relativedelta is slow)
def period_end(start: date, months: int) -> date:
    """Last day of an N-month period counted from the day after `start`.

    relativedelta clips to the month's last day, which is exactly Art. 202: "the corresponding
    date of the last month; the month's last day when there is none" (e.g. from 29 February).
    """
    if months < 0:
        raise ValueError("months must not be negative")
    return start + relativedelta(months=months)


def _merged(pauses: Iterable[Pause], as_of: date) -> list[tuple[date, date]]:
    """Closed day intervals, overlaps merged so that a day paused twice counts once."""
    # An open pause is still going on: it has paused every day up to and including as_of.
    closed = sorted((s, e if e is not None else as_of) for s, e in pauses)
    merged: list[tuple[date, date]] = []
    for s, e in closed:
        if e < s:
            continue  # an open pause that begins after as_of has paused nothing yet
        if merged and s <= merged[-1][1] + _DAY:
            merged[-1] = (merged[-1][0], max(merged[-1][1], e))
        else:
            merged.append((s, e))
    return merged


def _paused_days(merged: list[tuple[date, date]], first: date, last: date) -> int:
    """Paused days within [first, last], both inclusive."""
    total = 0
    for s, e in merged:
        lo, hi = max(s, first), min(e, last)
        if lo <= hi:
            total += (hi - lo).days + 1
    return total


def paused_end(start: date, months: int, pauses: Iterable[Pause], as_of: date) -> date:
    """The period's last day, pushed later by every paused day inside the running period."""
    merged = _merged(pauses, as_of)
    unpaused = period_end(start, months)
    end = unpaused
    # Pushing the end can take in more pause days, so repeat until nothing more is added;
    # it terminates because the pauses are finite (open ones stop at as_of).
    while True:
        pushed = unpaused + timedelta(days=_paused_days(merged, start + _DAY, end))
        if pushed == end:
            return end
        end = pushed


def has_elapsed(start: date, months: int, pauses: Iterable[Pause], as_of: date) -> bool:
    """True from the day after the (paused) period's last day: "after N full months"."""
    return as_of > paused_end(start, months, pauses, as_of)


def paused_days(start: date, as_of: date, pauses: Iterable[Pause]) -> int:
    """Paused days after `start` up to and including `as_of`."""
    if as_of <= start:
        return 0
    return _paused_days(_merged(pauses, as_of), start + _DAY, as_of)


def elapsed_days(start: date, as_of: date, pauses: Iterable[Pause]) -> int:
    """Counted days after `start` up to `as_of`, paused days left out (the start day never counts)."""
    if as_of <= start:
        return 0
    pauses = tuple(pauses)
    return (as_of - start).days - paused_days(start, as_of, pauses)
