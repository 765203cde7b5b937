"""Which steps a person may take on a problem (问题), an assignment (交办事项) or a meeting, so a page offers only those.

Escalation decides; this mirrors services/escalation/problems/access.py (who) and the lifecycles' states (when), and
tests/console/test_problem_pages.py holds the two together.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from services.console.permissions import is_target
from services.console.viewer import Viewer

TOP_LEVEL = 4  # 调度会议定: nothing above it
OPEN = ("raised", "accepted", "solving")
PROBLEM_OFFICE_ONLY = frozenset({"close", "reopen"})  # 销号 and reopening
# The steps each problem state allows (escalation's lifecycle answers 409 to the others).
PROBLEM_BY_STATE: dict[str, tuple[str, ...]] = {
    "raised": ("accept", "start", "solve", "submit", "hand-back", "agenda"),
    "accepted": ("start", "solve", "submit", "hand-back", "agenda"),
    "solving": ("solve", "submit", "hand-back", "agenda"),
    "solved": ("close", "reopen"), "closed": ("reopen",),
}
ASSIGNMENT_BY_STATE: dict[str, tuple[str, ...]] = {
    "opened": ("acknowledge", "report"), "acknowledged": ("report",), "reported": ("verify",), "verified": ("close",), "closed": (),
}
ASSIGNMENT_OPEN = ("opened", "acknowledged", "reported", "verified")


def may_act_on_problem(viewer: Viewer, problem: Mapping[str, Any], action: str) -> bool:
    """Readonly never acts; the office closes and reopens; whoever the problem's level names (or the office) does the rest;
    a department never puts a problem on a meeting's agenda."""
    if viewer.role == "readonly":
        return False
    if action in PROBLEM_OFFICE_ONLY or viewer.role == "office":
        return viewer.role == "office"
    if action == "agenda" and viewer.role == "department":
        return False
    return is_target(viewer, problem)


def problem_offered(viewer: Viewer, problem: Mapping[str, Any], meetings_open: bool = True) -> set[str]:
    """The problem's steps the page shows now: allowed to this person, in this state and at this level."""
    level = int(problem.get("level") or 1)
    actions = {a for a in PROBLEM_BY_STATE.get(str(problem.get("state")), ()) if may_act_on_problem(viewer, problem, a)}
    if level >= TOP_LEVEL:
        actions.discard("submit")
    if level <= 1:
        actions.discard("hand-back")
    if not meetings_open:  # no scheduled meeting to put it on
        actions.discard("agenda")
    if viewer.role == "department":  # handing down is a leader's or a meeting's instruction
        actions.discard("hand-back")
    if problem.get("assignment_id") and problem.get("state") in OPEN:  # a meeting decided it: the assignment carries it now
        actions -= {"submit", "hand-back", "agenda"}
    return actions


def is_mine(viewer: Viewer, item: Mapping[str, Any]) -> bool:
    """The problem or assignment waits on this person (the office's own are those at the meetings' levels)."""
    return viewer.role != "office" and is_target(viewer, item)


def may_act_on_assignment(viewer: Viewer, assignment: Mapping[str, Any], action: str) -> bool:
    """The handler department signs and reports (the leader signs at his level); the office verifies and closes."""
    if viewer.role == "readonly":
        return False
    if viewer.role == "office":
        return True
    if action in ("verify", "close"):
        return False
    if viewer.role == "department":
        return viewer.department == assignment.get("handler_department")
    return action == "acknowledge" and is_target(viewer, assignment)


def assignment_offered(viewer: Viewer, assignment: Mapping[str, Any]) -> set[str]:
    return {a for a in ASSIGNMENT_BY_STATE.get(str(assignment.get("state")), ()) if may_act_on_assignment(viewer, assignment, a)}


def assignment_is_mine(viewer: Viewer, assignment: Mapping[str, Any]) -> bool:
    if viewer.role == "department":
        return viewer.department == assignment.get("handler_department")
    return is_mine(viewer, assignment)


def is_overdue(item: Mapping[str, Any], today: date, open_states: tuple[str, ...] = OPEN) -> bool:
    due = item.get("due_on")
    return bool(due) and str(due) < today.isoformat() and item.get("state") in open_states


def may_run_meetings(viewer: Viewer) -> bool:
    """The office schedules meetings, edits agendas, records decisions and issues minutes."""
    return viewer.role == "office"
