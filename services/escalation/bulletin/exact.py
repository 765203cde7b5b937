"""Exact figures: ratios as Fractions, shown as percentage strings rounded half up (never floats)."""
from __future__ import annotations

import math
from fractions import Fraction


def ratio(part: int, whole: int) -> Fraction | None:
    """part ÷ whole, or None when there is nothing to divide by (a rate of nothing is not 0%)."""
    return Fraction(part, whole) if whole else None


def percent_text(value: Fraction | None, places: int = 1) -> str | None:
    """A ratio as percentage points with `places` decimals, rounded half away from zero: 2/3 → "66.7"."""
    if value is None:
        return None
    return points_text(value * 100, places)


def points_text(points: Fraction, places: int = 1) -> str:
    """Percentage points (already ×100) as a string with `places` decimals, rounded half away from zero."""
    scale = 10 ** places
    scaled = abs(points) * scale
    rounded = math.floor(scaled + Fraction(1, 2))
    sign = "-" if points < 0 and rounded else ""
    whole, part = divmod(rounded, scale)
    return f"{sign}{whole}.{part:0{places}d}" if places else f"{sign}{whole}"


def fen_to_wan_text(fen: int) -> str:
    """Integer fen as 万元 with two decimals (1万元 = 1,000,000 fen), rounded half away from zero."""
    return points_text(Fraction(fen, 1_000_000), 2)


def median_days(values: list[int]) -> Fraction | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return Fraction(ordered[middle]) if len(ordered) % 2 else Fraction(ordered[middle - 1] + ordered[middle], 2)


def mean_days(values: list[int]) -> Fraction | None:
    return Fraction(sum(values), len(values)) if values else None
