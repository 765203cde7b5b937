"""Who is looking: the signed-in person as escalation's /api/me described them, and what they may see."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ROLES = ("office", "leader", "department", "readonly")


@dataclass(frozen=True, slots=True)
class Viewer:
    person_id: str
    county_code: str
    login: str
    name: str
    role: str
    department: str | None
    token: str

    @classmethod
    def of(cls, person: dict[str, Any], token: str) -> Viewer:
        return cls(str(person["person_id"]), person["county_code"], person["login"], person["name"], person["role"],
                   person.get("department"), token)

    @property
    def routed_only(self) -> bool:
        """A department sees only what was routed to it; everyone else sees the whole county."""
        return self.role == "department"

    @property
    def queue_target(self) -> str | None:
        """Whose queue this person works: a department's own, a leader's own (his name in the facts)."""
        if self.role == "department":
            return self.department
        if self.role == "leader":
            return self.department or self.name
        return None

    @property
    def may_act(self) -> bool:
        return self.role != "readonly"
