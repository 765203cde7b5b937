"""Figures from the problem list (问题清单) and the meetings' assignments (交办事项) for one month.

The month runs from its first day to its last, or to the as-of day when that is earlier (a bulletin made
mid-month counts what is known so far). Rows are as they stand when the bulletin is made, like the cases.

- Raised: problems whose `opened_on` falls in the month.
- Solved: problems the audit log (`coordination_actions`) shows leaving an open state for 已解决 or 已销号
  in the month; a problem solved and closed in the same month counts once, one solved last month and
  closed (销号) this month counts last month only. A problem reopened and solved again counts again.
- Overdue: problems still open (待受理, 已受理, 解决中) whose current deadline (`due_on`) is before the
  month's end (or the as-of day when earlier). A missed deadline moves a problem up a level with a new
  deadline, so the problems that climbed in the month are counted beside it.
- 交办事项落实率, per handler department: assignments whose meeting deadline (`deadline`, not a deadline
  set by a later climb) falls in the month, and how many were closed (销号) on or before it.
- Long open: problems open on the as-of day for more than `long_open_months` months since `opened_on`,
  that is when the as-of day is after the day that many months on (31 January + 1 month = 28 February).
"""
from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from fractions import Fraction
from typing import Any

from services.escalation.bulletin.exact import percent_text, ratio
from services.escalation.bulletin.model import (
    AssignmentDelivery,
    Delivery,
    LongOpen,
    LongOpenProblem,
    ProblemFigures,
    ProblemTally,
    Referral,
)
from services.escalation.problems.lifecycle import LEVEL_NAMES, OPEN
from services.escalation.problems.policy import CATEGORIES

Row = Mapping[str, Any]
TOTAL = "合计"
UNREGISTERED = "（未登记）"
OUT_OF_OPEN = ("solved", "closed")


def month_window(month: str, as_of: date) -> tuple[date, date]:
    """The first day of the month and its last counted day (the month's end, or the as-of day when earlier)."""
    year, number = int(month[:4]), int(month[5:7])
    return date(year, number, 1), min(date(year, number, calendar.monthrange(year, number)[1]), as_of)


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or that month's last day when it is shorter."""
    index = day.year * 12 + day.month - 1 + months
    year, number = divmod(index, 12)
    return date(year, number + 1, min(day.day, calendar.monthrange(year, number + 1)[1]))


def whole_months(start: date, end: date) -> int:
    """How many whole months from `start` to `end` (0 when `end` is before a month has passed)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return max(0, months - 1 if add_months(start, months) > end else months)


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _department(problem: Row) -> str:
    return problem.get("responsible_department") or UNREGISTERED


def _seeds_order(category: str) -> tuple[int, str]:
    return (CATEGORIES.index(category) if category in CATEGORIES else len(CATEGORIES), category)


def _tally(key: str, raised: Iterable[str], solved: Iterable[str], overdue: Iterable[str], climbed: Iterable[str]) -> ProblemTally:
    return ProblemTally(key, len(set(raised)), len(set(solved)), len(set(overdue)), len(set(climbed)))


def problem_figures(problems: Sequence[Row], actions: Sequence[Row], month: str, as_of: date,
                    categories: Sequence[str] = ()) -> ProblemFigures:
    """Raised, solved, overdue and climbed in the month, in all, per category (every configured one, then any other
    with a figure, e.g. from before the county changed its list) and per responsible department (those with any
    figure, the most overdue first)."""
    first, last = month_window(month, as_of)
    by_id = {p["problem_id"]: p for p in problems}
    raised = [p["problem_id"] for p in problems if first <= (_day(p["opened_on"]) or date.min) <= last]
    overdue = [p["problem_id"] for p in problems if p["state"] in OPEN and (due := _day(p.get("due_on"))) is not None and due < last]
    in_month = [a for a in actions if a["item_kind"] == "problem" and a["item_id"] in by_id and first <= (_day(a["as_of"]) or date.min) <= last]
    solved = [a["item_id"] for a in in_month if a["to_state"] in OUT_OF_OPEN and a.get("from_state") not in OUT_OF_OPEN]
    climbed = [a["item_id"] for a in in_month if a["action"] == "climbed"]

    def group(key_of: Any, key: str) -> ProblemTally:
        def mine(ids: list[str]) -> list[str]:
            return [i for i in ids if key_of(by_id[i]) == key]
        return _tally(key, mine(raised), mine(solved), mine(overdue), mine(climbed))

    others = [group(lambda p: p["category"], c) for c in sorted({p["category"] for p in problems} - set(categories), key=_seeds_order)]
    by_category = (*(group(lambda p: p["category"], c) for c in categories), *(t for t in others if t.raised or t.solved or t.overdue or t.climbed))
    departments = [group(_department, d) for d in sorted({_department(by_id[i]) for i in (*raised, *solved, *overdue, *climbed)})]
    departments.sort(key=lambda t: (-t.overdue, -t.raised, -t.solved, t.key))
    return ProblemFigures(_tally(TOTAL, raised, solved, overdue, climbed), by_category, tuple(departments))


def _delivery(department: str, due: Sequence[Row]) -> Delivery:
    closed = [a for a in due if a["state"] == "closed" and _day(a.get("closed_on")) is not None]
    on_time = sum((_day(a["closed_on"]) or date.max) <= (_day(a["deadline"]) or date.min) for a in closed)
    return Delivery(department, len(due), on_time, len(closed) - on_time, len(due) - len(closed), percent_text(ratio(on_time, len(due))))


def assignment_delivery(assignments: Sequence[Row], month: str, as_of: date) -> AssignmentDelivery:
    """交办事项落实率 in all and per handler department (the lowest rate first, then the most due, then by name)."""
    first, last = month_window(month, as_of)
    due = [a for a in assignments if first <= (_day(a["deadline"]) or date.min) <= last]
    groups: dict[str, list[Row]] = {}
    for item in due:
        groups.setdefault(item["handler_department"], []).append(item)
    rows = [_delivery(name, items) for name, items in groups.items()]
    rows.sort(key=lambda d: (Fraction(d.on_time, d.due), -d.due, d.department))
    return AssignmentDelivery(_delivery(TOTAL, due), tuple(rows))


def long_open(problems: Sequence[Row], names: Mapping[str, str], as_of: date, threshold_months: int) -> LongOpen:
    """Open problems older than `threshold_months` on the as-of day, the longest open first."""
    found = []
    for p in problems:
        opened = _day(p["opened_on"]) or as_of
        if p["state"] not in OPEN or as_of <= add_months(opened, threshold_months):
            continue
        level = int(p["level"])
        found.append(LongOpenProblem(
            p["problem_id"], p["project_id"], names.get(p["project_id"], p["project_id"]), p["category"], p["description"], level,
            LEVEL_NAMES.get(level, f"第{level}级"), p["target_name"], opened, (as_of - opened).days, whole_months(opened, as_of),
            int(p.get("months_reported") or 0)))
    found.sort(key=lambda f: (f.opened_on, -f.level, f.project_name, f.problem_id))
    return LongOpen(threshold_months, tuple(found))


def referrals_of(rows: Iterable[Row], names: Mapping[str, str], month: str, as_of: date) -> tuple[Referral, ...]:
    """移送 referred in the month, and earlier ones the body has not signed for yet (oldest first)."""
    first, last = month_window(month, as_of)
    shown = [r for r in rows if r["referred_on"] <= last and (r["referred_on"] >= first or r["acknowledged_on"] is None
                                                              or r["acknowledged_on"] > last)]
    return tuple(Referral(names.get(r["project_id"], r["project_id"]), r["target_name"], r["pack"].get("level_name", ""),
                          r["pack"].get("figures", {}).get("overrun_fen", ""), r["referred_on"],
                          r["acknowledged_on"] if r["acknowledged_on"] and r["acknowledged_on"] <= last else None)
                 for r in sorted(shown, key=lambda r: (r["referred_on"], r["referral_id"])))
