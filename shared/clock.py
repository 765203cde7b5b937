"""The only place that reads the time: real, fixed or offset, chosen by configuration."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

BEIJING = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock a test or a demo moves by hand."""

    def __init__(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta) -> None:
        self._at += delta


class OffsetClock:
    """Real time shifted by a fixed amount: a demo that runs 'as if' in another season."""

    def __init__(self, offset: timedelta) -> None:
        self._offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset


def beijing_today(clock: Clock) -> date:
    """The Chinese calendar day: rules count days as Beijing sees them."""
    return beijing_date(clock.now())


def beijing_date(moment: datetime) -> date:
    return moment.astimezone(BEIJING).date()


def clock_from_setting(setting: str) -> Clock:
    """`real`, `fixed:2026-03-02T09:00:00+08:00`, or `offset:-30d` / `offset:+12h`."""
    kind, _, value = setting.partition(":")
    if kind == "real":
        return SystemClock()
    if kind == "fixed":
        return FixedClock(datetime.fromisoformat(value))
    if kind == "offset":
        units = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}
        amount, unit = value[:-1], value[-1]
        if unit not in units:
            raise ValueError(f"clock offset unit must be one of {sorted(units)}: {setting!r}")
        return OffsetClock(timedelta(**{units[unit]: float(amount)}))
    raise ValueError(f"clock must be real, fixed:<iso time> or offset:<±N[dhms]>: {setting!r}")
