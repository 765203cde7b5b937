"""Who sees and who may act on a case: the county first, then the role, then the department or leader named."""
from __future__ import annotations

from typing import Any

from services.escalation.cases.people import Person

# Who may take each action, beyond the checks on the case's own target.
OFFICE_ONLY = frozenset({"review", "close", "reopen", "exception_decision"})
TARGET_OR_OFFICE = frozenset({"acknowledge", "reply", "exception"})
COUNTY_WIDE_ROLES = frozenset({"office", "readonly"})  # they see every case, problem and assignment of their county


def _names(recipients: list[dict[str, str]] | None, kind: str) -> set[str]:
    return {r["name"] for r in recipients or () if r.get("kind") == kind}


def leader_names(person: Person) -> set[str]:
    """A leader is matched by the name the project facts use (kept in `department`) or their own name."""
    return {n for n in (person.department, person.name) if n}


def can_see(person: Person, case: dict[str, Any], recipients: list[dict[str, str]] | None) -> bool:
    """Within the person's county (the caller checked): office and readonly see all; others what names them."""
    if person.role in COUNTY_WIDE_ROLES:
        return True
    if person.role == "department":
        letter = case.get("letter") or {}
        return ((case["target_kind"] == "department" and case["target_name"] == person.department)
                or person.department in _names(recipients, "department") or letter.get("handler_department") == person.department)
    if person.role == "leader":
        names = leader_names(person)
        return (case["target_kind"] == "leader" and case["target_name"] in names) or bool(names & _names(recipients, "leader"))
    return False


def is_target(person: Person, case: dict[str, Any]) -> bool:
    if case["target_kind"] == "department":
        return person.role == "department" and person.department == case["target_name"]
    if case["target_kind"] == "leader":
        return person.role == "leader" and case["target_name"] in leader_names(person)
    return person.role == "office"


def handles_letter(person: Person, case: dict[str, Any]) -> bool:
    """The 交办函 names a handler department: under the leader's letter, that department signs and answers."""
    return person.role == "department" and bool(person.department) and (case.get("letter") or {}).get("handler_department") == person.department


def may_act(person: Person, case: dict[str, Any], action: str) -> bool:
    """Readonly never acts; the office decides; the target (or the letter's handler) signs, replies and claims
    exceptions (the office may record them for it)."""
    if person.role == "readonly":
        return False
    if action in OFFICE_ONLY:
        return person.role == "office"
    return person.role == "office" or is_target(person, case) or handles_letter(person, case)
