"""Figures from escalation's own records: idle parcels, open cases, 交办函 on time, red to green, assignments.

Red: an escalation is red when its evidence says `colour = red`, else from the level at which its
rule means a case rather than a warning (R1 idle land from level 3, the legally idle land; R2
overrun from level 1, any unapproved overrun holds construction; any other rule from level 2).
Time from red to green: for escalations cleared this year up to the as-of day that were red, the
days from the case's `red_since` (or the escalation's opening day when it has no case) to the
Beijing day it cleared. Letters: a 交办函 (`cases.letter` with a `deadline`) falls due this year
up to the as-of day; it is answered on time when the case has a `replied` action dated on or
before the deadline (and not before the letter's `issued_on`, when the letter has one).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from services.escalation.bulletin.exact import mean_days, median_days, percent_text, points_text, ratio
from services.escalation.bulletin.model import Assignment, Count, FollowUp, IdleParcel, Letters, OpenCases, PreviousFigures, RedToGreen
from services.escalation.domain.facts import ProjectFacts
from services.escalation.domain.policy import Policy
from services.escalation.domain.rules.idle_land import evaluate_idle_land
from shared.clock import beijing_date

Row = Mapping[str, Any]
RED_FROM_LEVEL = {"R1": 3, "R2": 1}
ANSWERED = {"replied", "reviewed", "closed"}


def rule_family(rule_id: str) -> str:
    return rule_id.split(".")[0]


def is_red(row: Row) -> bool:
    colour = (row.get("evidence") or {}).get("colour")
    if colour:
        return colour == "red"
    return int(row["level"]) >= RED_FROM_LEVEL.get(rule_family(row["rule_id"]), 2)


def _day(value: date | datetime | str | None) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return beijing_date(value)
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def idle_parcels(open_escalations: Sequence[Row], names: Mapping[str, str], facts: Mapping[str, ProjectFacts] | None = None,
                 policy: Policy | None = None, as_of: date | None = None) -> tuple[IdleParcel, ...]:
    """Parcels idle under land law; days idle as of `as_of` when the facts and policy are given (the escalation's
    evidence is frozen at its last level change, so it would understate them)."""
    found = []
    for row in open_escalations:
        evidence = row.get("evidence") or {}
        if rule_family(row["rule_id"]) != "R1" or "days_idle" not in evidence:
            continue  # a warning (9 or 11 months) is not idle land yet
        evaluated_on = _day(row["as_of"]) or date.min
        project = (facts or {}).get(row["project_id"])
        if project is not None and policy is not None and as_of is not None:
            now = next((f for f in evaluate_idle_land(project, policy, as_of) if f.subject == row["subject"]), None)
            if now is not None and "days_idle" in now.evidence:
                evidence, evaluated_on = now.evidence, as_of
        found.append(IdleParcel(row["project_id"], names.get(row["project_id"], row["project_id"]), row["subject"].removeprefix("parcel:"),
                                evidence.get("type", ""), evidence.get("idle_since"), int(evidence["days_idle"]), int(row["level"]),
                                row["level_name"], evaluated_on))
    return tuple(sorted(found, key=lambda p: (-(p.days_idle or 0), p.name, p.parcel)))


def _counts(values: Sequence[str]) -> tuple[Count, ...]:
    return tuple(Count(key, n) for key, n in sorted(Counter(values).items(), key=lambda item: (-item[1], item[0])))


def open_cases(cases: Sequence[Row], as_of: date) -> OpenCases:
    still_open = [c for c in cases if c["state"] != "closed"]
    overdue = [c for c in still_open if (due := _day(c.get("due_on"))) is not None and due < as_of]
    levels = tuple(Count(f"L{level}", n) for level, n in sorted(Counter(int(c["ladder_level"]) for c in still_open).items()))
    return OpenCases(len(still_open), len(overdue), levels, _counts([c["target_name"] for c in still_open]),
                     _counts([c["rule_id"] for c in still_open]))


def red_to_green(escalations: Sequence[Row], cases: Sequence[Row], year: int, as_of: date) -> RedToGreen:
    red_since = {c["escalation_id"]: _day(c.get("red_since")) for c in cases}
    days = []
    for row in escalations:
        cleared = _day(row.get("cleared_at"))
        if row["status"] != "cleared" or cleared is None or cleared.year != year or cleared > as_of or not is_red(row):
            continue
        start = red_since.get(row["escalation_id"]) or _day(row["opened_at"])
        if start is not None:
            days.append((cleared - start).days)
    median, mean = median_days(days), mean_days(days)
    return RedToGreen(len(days), points_text(median) if median is not None else None, points_text(mean) if mean is not None else None)


def letters(cases: Sequence[Row], actions: Sequence[Row], year: int, as_of: date) -> Letters:
    replies: dict[str, list[date]] = {}
    for action in actions:
        if action["action"] == "replied" and (day := _day(action["as_of"])) is not None:
            replies.setdefault(action["case_id"], []).append(day)
    due = on_time = 0
    for case in cases:
        letter = case.get("letter") or {}
        deadline = _day(letter.get("deadline"))
        if deadline is None or deadline.year != year or deadline > as_of:
            continue
        due += 1
        issued = _day(letter.get("issued_on")) or date.min
        on_time += any(issued <= day <= deadline for day in replies.get(case["case_id"], []))
    return Letters(due, on_time, percent_text(ratio(on_time, due)))


def _assignment(case: Row, names: Mapping[str, str], state_then: str | None) -> Assignment:
    return Assignment(case["case_id"], names.get(case["project_id"], case["project_id"]), case["rule_id"], case["target_name"],
                      int(case["ladder_level"]), _day(case["opened_on"]) or date.min, _day(case.get("due_on")), state_then, case["state"])


def opened_in(cases: Sequence[Row], month: str, names: Mapping[str, str]) -> tuple[Assignment, ...]:
    chosen = [c for c in cases if (_day(c["opened_on"]) or date.min).isoformat()[:7] == month]
    return tuple(_assignment(c, names, None) for c in sorted(chosen, key=lambda c: (_day(c["opened_on"]), c["case_id"])))


def follow_up(cases: Sequence[Row], previous_month: str, previous: PreviousFigures | None, names: Mapping[str, str]) -> FollowUp:
    """Last month's assignments now: those last month's bulletin listed, else the cases opened that month."""
    if previous is not None and previous.month == previous_month:
        wanted = previous.assignment_states
        chosen = [c for c in cases if c["case_id"] in wanted]
        items = tuple(_assignment(c, names, wanted[c["case_id"]]) for c in sorted(chosen, key=lambda c: (_day(c["opened_on"]), c["case_id"])))
    else:
        items = opened_in(cases, previous_month, names)
    closed = sum(a.state_now == "closed" for a in items)
    answered = sum(a.state_now in ANSWERED for a in items)
    return FollowUp(previous_month, items, closed, answered, percent_text(ratio(answered, len(items))))
