"""Who sees and who may act on a problem or an assignment: the county first, then the role, then the name on it."""
from __future__ import annotations

from typing import Any

from services.escalation.cases.access import COUNTY_WIDE_ROLES, leader_names
from services.escalation.cases.people import Person

OFFICE_ONLY = frozenset({"closed", "reopened"})  # the steps only the office takes (销号 and reopening)


def can_see_problem(person: Person, row: dict[str, Any]) -> bool:
    if person.role in COUNTY_WIDE_ROLES:
        return True
    if person.role == "department":
        return person.department in (row["responsible_department"], row["target_name"])
    if person.role == "leader":
        return bool(leader_names(person) & {row["leader"], row["target_name"]})
    return False


def is_target(person: Person, row: dict[str, Any]) -> bool:
    if row["target_kind"] == "department":
        return person.role == "department" and person.department == row["target_name"]
    if row["target_kind"] == "leader":
        return person.role == "leader" and row["target_name"] in leader_names(person)
    return person.role == "office"


def may_act_on_problem(person: Person, row: dict[str, Any], action: str) -> bool:
    """Readonly never acts; the office closes and reopens; whoever the problem's level names (or the office) does the rest."""
    if person.role == "readonly":
        return False
    if action in OFFICE_ONLY or person.role == "office":
        return person.role == "office"
    return is_target(person, row)


def can_see_assignment(person: Person, row: dict[str, Any]) -> bool:
    if person.role in COUNTY_WIDE_ROLES:
        return True
    if person.role == "department":
        return person.department == row["handler_department"] or person.department in (row["co_departments"] or ())
    if person.role == "leader":
        return bool(leader_names(person) & {row["follow_up_leader"], row["target_name"]})
    return False


def may_act_on_assignment(person: Person, row: dict[str, Any], action: str) -> bool:
    """The handler department signs and reports (the leader signs at its level); the office verifies and closes."""
    if person.role == "readonly":
        return False
    if person.role == "office":
        return True
    if action in ("verify", "close"):
        return False
    if person.role == "department":
        return person.department == row["handler_department"]
    return action == "acknowledge" and is_target(person, row)
