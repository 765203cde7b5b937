"""A county's bulletin settings: the `[bulletin]` section of config/policies/default.toml and <county>.toml.

The escalation policy loader ignores this section; this loader reads nothing else. Targets are
percentages written as integers or strings ("70", "62.5"), never TOML floats (not exact).
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from fractions import Fraction
from pathlib import Path
from typing import Any


class BulletinSettingsError(ValueError):
    """A `[bulletin]` section that cannot be read; the message names the file and the key."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BulletinSettings:
    """Targets are percentages (Fraction); the behind bands are R5's [L] points (银川 preset)."""

    start_rate_target: Fraction = Fraction(70)  # speech: 70% by year end
    completion_rate_target: Fraction | None = None
    production_rate_target: Fraction | None = None
    investment_rate_target: Fraction | None = None  # None: the time-proportional curve is the target
    behind_yellow_points: Fraction = Fraction(10)
    behind_red_points: Fraction = Fraction(30)
    ranking_size: int = 3  # how many units make the 红榜 and the 黑榜
    overdue_case_penalty: Fraction = Fraction(10)  # score points a unit loses per overdue case
    # Month M's bulletin comes out on this day of M+1 (or the first run after it): after the ledgers are due (R4: day 5).
    publish_day: int = 6

    def __post_init__(self) -> None:
        if not 0 <= self.behind_yellow_points < self.behind_red_points:
            raise BulletinSettingsError("behind_yellow_points must be below behind_red_points")
        if self.ranking_size < 1:
            raise BulletinSettingsError("ranking_size must be at least 1")
        if not 1 <= self.publish_day <= 28:
            raise BulletinSettingsError("publish_day must be a day every month has (1-28)")


_INTEGERS = {"ranking_size", "publish_day"}
_FRACTIONS = {f.name for f in fields(BulletinSettings)} - _INTEGERS


def _convert(name: str, value: Any, where: str) -> Any:
    if isinstance(value, float) or isinstance(value, bool):
        raise BulletinSettingsError(f"{where}: write {value!r} as a string or an integer")
    if name in _INTEGERS:
        if not isinstance(value, int):
            raise BulletinSettingsError(f"{where}: expected an integer, got {value!r}")
        return value
    try:
        return Fraction(str(value))
    except ValueError as exc:
        raise BulletinSettingsError(f"{where}: cannot read {value!r}") from exc


def _section(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    try:
        section = tomllib.loads(path.read_text(encoding="utf-8")).get("bulletin", {})
    except tomllib.TOMLDecodeError as exc:
        raise BulletinSettingsError(f"{path}: not valid TOML: {exc}") from exc
    values = {}
    for key, value in section.items():
        if key not in _FRACTIONS | _INTEGERS:
            raise BulletinSettingsError(f"{path}: unknown key bulletin.{key}")
        values[key] = _convert(key, value, f"{path}: bulletin.{key}")
    return values


def load_bulletin_settings(county_code: str, directory: Path) -> BulletinSettings:
    """default.toml's section, then the county's on top; no section at all gives the defaults."""
    values = {**_section(directory / "default.toml"), **_section(directory / f"{county_code}.toml")}
    return BulletinSettings(**values)
