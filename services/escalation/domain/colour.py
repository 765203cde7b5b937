"""A project's traffic light from its findings, its data freshness and the unit's own report (R6)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from services.escalation.domain.facts import ProjectFacts
from services.escalation.domain.findings import COLOURS
from services.escalation.domain.periods import has_elapsed
from services.escalation.domain.policy import Policy

_SEVERITY = {colour: rank for rank, colour in enumerate(COLOURS)}  # green < grey < yellow < red


def _worse(a: str, b: str) -> str:
    return a if _SEVERITY[a] >= _SEVERITY[b] else b


def project_colour(finding_colours: Iterable[str], stale: bool, self_reported: str | None) -> str:
    """"red" | "yellow" | "green" | "grey": the worst colour among the findings.

    Severity rises green < grey < yellow < red: a known problem outranks unknown data. With no
    problem found, stale data turns green into grey (no update is its own state, never green).

    DOMAIN.md: "self-reported status may lower a computed colour, never raise it". Read as a grade
    (green is the highest): the unit may report itself worse than computed (a red it knows of
    before the data shows it) and that report wins; a self-reported green never hides a computed
    yellow, red or grey. So the result is the more severe of the two, never the milder.
    """
    colour = "green"
    for found in finding_colours:
        if found not in _SEVERITY:
            raise ValueError(f"unknown colour {found!r}; known: {COLOURS}")
        colour = _worse(colour, found)
    if colour == "green" and stale:
        colour = "grey"
    if self_reported is not None:
        if self_reported not in ("green", "yellow", "red"):
            raise ValueError(f"a unit reports green, yellow or red, not {self_reported!r}")
        colour = _worse(colour, self_reported)
    return colour


def owes_reports(facts: ProjectFacts, policy: Policy) -> bool:
    """Projects in a reporting stage (under construction by default) owe the monthly ledger."""
    return facts.stage in policy.reporting_stages


def is_stale(facts: ProjectFacts, policy: Policy, as_of: date) -> bool:
    """A project that owes reports and has had no source record for a full period (1 month by default).

    Counted like every period (民法典 Art. 201-202): a record of 2026-02-01 is stale from 2026-03-02.
    A project with no record time at all is missing data, hence stale. Projects that owe no monthly
    report (reserve, signed, finished) are judged by their milestones and land, not by freshness.
    """
    if not owes_reports(facts, policy):
        return False
    if facts.last_reported_on is None:
        return True
    return has_elapsed(facts.last_reported_on, policy.stale_after_months, (), as_of)
