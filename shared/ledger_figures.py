"""A ledger's year-to-date investment, read alike by the monthly bulletin (escalation) and the console's project list."""
from __future__ import annotations

from collections.abc import Iterable

# (month as YYYY-MM, year-to-date figure, the month's own investment), in fen; either figure may be missing.
MonthFigures = tuple[str, int | None, int | None]


def year_to_date(months: Iterable[MonthFigures], month: str) -> int | None:
    """Investment from January to the end of `month`: the newest year-to-date figure of that year up to it, plus each
    later month's own investment; None when the year's ledger says nothing."""
    of_year = sorted(m for m in months if m[0][:4] == month[:4] and m[0] <= month)
    with_ytd = [m for m in of_year if m[1] is not None]
    base_month, total = (with_ytd[-1][0], with_ytd[-1][1]) if with_ytd else ("", None)
    later = [investment for m, _, investment in of_year if m > base_month and investment is not None]
    if total is None and not later:
        return None
    return (total or 0) + sum(later)
