"""What a rule reports: a finding at a level, who must act or be told, and the evidence."""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

AudienceKind = Literal["department", "leader", "office"]
AudienceRole = Literal["action", "informed"]
# From mildest to worst. "green" marks a reminder (L0: a milestone due soon) that is no problem yet;
# "grey" means the data is missing or stale: not known to be bad, never shown as green.
COLOURS: tuple[str, ...] = ("green", "grey", "yellow", "red")


@dataclass(frozen=True, slots=True)
class Audience:
    kind: AudienceKind
    name: str
    role: AudienceRole


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule's verdict on one subject of one project as of a date.

    `occurrence` tells one episode of the condition from the next (a new base date is a new
    case); `level` only climbs within an occurrence. `evidence` is a read-only str→str mapping.
    `colour` is the traffic light the finding gives the project (see COLOURS).
    """

    rule_id: str
    rule_version: int
    subject: str
    occurrence: str
    level: int
    level_name: str
    audience: tuple[Audience, ...]
    evidence: Mapping[str, str] = field(default_factory=dict)
    summary: str = ""
    colour: str = "red"

    def __post_init__(self) -> None:
        # Copy then wrap, so neither the caller nor a consumer can change recorded evidence.
        object.__setattr__(self, "evidence", MappingProxyType(dict(self.evidence)))
        if self.level < 1:
            raise ValueError("a finding has level 1 or higher")
        if self.colour not in COLOURS:
            raise ValueError(f"colour must be one of {COLOURS}: {self.colour!r}")

    def __hash__(self) -> int:
        # The generated hash would fail on the mapping proxy; hash its sorted items instead.
        return hash((self.rule_id, self.rule_version, self.subject, self.occurrence, self.level,
                     self.level_name, self.audience, tuple(sorted(self.evidence.items())), self.summary,
                     self.colour))

    @property
    def action(self) -> tuple[Audience, ...]:
        return tuple(a for a in self.audience if a.role == "action")

    @property
    def informed(self) -> tuple[Audience, ...]:
        return tuple(a for a in self.audience if a.role == "informed")


def audience(members: Iterable[tuple[AudienceKind, str | None, AudienceRole]], fallback: Audience) -> tuple[Audience, ...]:
    """Build an audience in the given order: skip unknown names, merge repeats, never leave it actionless.

    A repeat keeps its first position and "action" wins, because one unit that is both the
    responsible unit and the lead department must still be asked to act, once.
    """
    order: list[tuple[AudienceKind, str]] = []
    roles: dict[tuple[AudienceKind, str], AudienceRole] = {}
    for kind, name, role in members:
        if not name:
            continue
        key = (kind, name)
        if key not in roles:
            order.append(key)
            roles[key] = role
        elif role == "action":
            roles[key] = "action"
    result = tuple(Audience(kind, name, roles[(kind, name)]) for kind, name in order)
    if not any(a.role == "action" for a in result):
        # Someone must own every case; the project office keeps the library and routes it on.
        result = (fallback, *(a for a in result if (a.kind, a.name) != (fallback.kind, fallback.name)))
    return result
