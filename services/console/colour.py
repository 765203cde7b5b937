"""A project's colour on the battle map, from its open findings, its staleness and its own report.

The rule itself is escalation's pure domain function, shared on purpose so the map and the
bulletin never disagree.
"""
from __future__ import annotations

from collections.abc import Mapping

from services.escalation.domain.colour import project_colour

COLOURS = ("red", "yellow", "green", "grey")


def finding_colour(level: int, evidence: Mapping[str, str]) -> str:
    """The colour a finding reports in its evidence (grey: R6's stale data); older escalations without one: level 3+ is red."""
    colour = evidence.get("colour")
    if colour in COLOURS:
        return colour
    return "red" if level >= 3 else "yellow"


def both_colours(finding_colours: list[str], self_reported: str | None) -> tuple[str, str]:
    """(colour with fresh data, colour with stale data)."""
    return (project_colour(finding_colours, False, self_reported), project_colour(finding_colours, True, self_reported))
