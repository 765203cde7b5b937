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


def _half_up(value: Fraction, places: int) -> Fraction:
    scale = 10 ** places
    return Fraction(int(abs(value) * scale + Fraction(1, 2)), scale) * (1 if value >= 0 else -1)


def _decimal(value: Fraction, places: int) -> str:
    units = int(abs(value) * 10 ** places)
    sign = "-" if value < 0 and units else ""
    whole, part = divmod(units, 10 ** places)
    return f"{sign}{whole}.{part:0{places}d}" if places else f"{sign}{whole}"


def percent_beside(ratio: Fraction, threshold_percent: Fraction | None = None, places: int = 2, most: int = 12) -> str:
    """A ratio as a percentage ("20.01"), with more places wherever fewer would read wrongly: rounded onto or across
    the threshold it is shown against (20.0000001 is over 20, not "20.00"), or a non-zero ratio shown as zero."""
    value = ratio * 100
    for digits in range(places, most + 1):
        shown = _half_up(value, digits)
        if value != 0 and shown == 0:
            continue
        if threshold_percent is not None and (shown > threshold_percent, shown < threshold_percent) != (
                value > threshold_percent, value < threshold_percent):
            continue
        return _decimal(shown, digits)
    return _decimal(_half_up(value, most), most)


def grouped_yuan(fen: int) -> str:
    """Yuan with thousands separators and two places: 2,000,000.01."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100:,}.{abs(fen) % 100:02d}"
