"""Exact figures for people: percentage points and yuan, rounded half up, no floats."""
from __future__ import annotations

from fractions import Fraction


def points(ratio: Fraction) -> str:
    """A ratio as percentage points with two places ("12.35"), rounded half away from zero."""
    hundredths = int(abs(ratio) * 10_000 + Fraction(1, 2))
    sign = "-" if ratio < 0 and hundredths else ""
    return f"{sign}{hundredths // 100}.{hundredths % 100:02d}"


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"
