"""Which actions a person may take on a case, so a page offers only those (escalation decides; this mirrors
services/escalation/cases/access.py, and a test holds the two together)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.console.viewer import Viewer

OFFICE_ONLY = frozenset({"review", "close", "reopen", "exception/decision"})
# The steps each state allows (escalation's lifecycle answers 409 to the others).
BY_STATE: dict[str, tuple[str, ...]] = {
    "opened": ("acknowledge", "exception"), "acknowledged": ("reply", "exception"), "replied": ("review",),
    "reviewed": ("close", "reopen"), "closed": ("reopen",), "withdrawn": (),
}


def _leader_names(viewer: Viewer) -> set[str]:
    return {n for n in (viewer.department, viewer.name) if n}


def is_target(viewer: Viewer, case: Mapping[str, Any]) -> bool:
    kind, name = case.get("target_kind"), case.get("target_name")
    if kind == "department":
        return viewer.role == "department" and viewer.department == name
    if kind == "leader":
        return viewer.role == "leader" and name in _leader_names(viewer)
    return viewer.role == "office"


def handles_letter(viewer: Viewer, case: Mapping[str, Any]) -> bool:
    """Under a leader's 交办函 the handler department named in it signs and answers."""
    letter = case.get("letter") or {}
    return viewer.role == "department" and bool(viewer.department) and letter.get("handler_department") == viewer.department


def must_act(viewer: Viewer, case: Mapping[str, Any]) -> bool:
    """The case waits on this person: they are its target or its letter's handler."""
    return is_target(viewer, case) or handles_letter(viewer, case)


def may(viewer: Viewer, case: Mapping[str, Any], action: str) -> bool:
    if viewer.role == "readonly":
        return False
    if action in OFFICE_ONLY:
        return viewer.role == "office"
    return viewer.role == "office" or must_act(viewer, case)


def offered(viewer: Viewer, case: Mapping[str, Any]) -> set[str]:
    """The actions the page shows for this case now: allowed to this person and in this state."""
    actions = {a for a in BY_STATE.get(str(case.get("state")), ()) if may(viewer, case, a)}
    claim = case.get("exception") or {}
    if claim.get("status") == "pending" and may(viewer, case, "exception/decision"):
        actions.add("exception/decision")
    if case.get("clocks_paused") or claim.get("status") == "pending":
        actions -= {"exception", "close"}  # one claim at a time; nothing closes while the office has to decide
    return actions
