"""Three different "starts", kept apart: approval/stage 开工, statistics 新开工, and land-law 动工开发.

A project can count as started for the 开工率 and still be idle land: the 开工率 reads the first
two, 闲置土地处置办法 only the third (foundation pit dug, piles driven or a third of the foundation
done; a ceremony, a permit or the statistics date do not count).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from services.escalation.domain import catalog
from services.escalation.domain.facts import ProjectFacts
from services.escalation.domain.findings import Audience, Finding, audience
from services.escalation.domain.policy import STAGES, Policy

START_MILESTONE = "开工"
RULE_ID = "R1.started_but_idle"


@dataclass(frozen=True, slots=True)
class StartStatus:
    approval_started: bool  # stage at or past 开工, or the 开工 milestone done, as of the day
    stats_started: bool  # the statistics 新开工 date is on or before the day
    land_started_all_parcels: bool  # every parcel has its 动工开发 date on or before the day (False without parcels)
    counts_for_start_rate: bool
    idle_under_land_law: bool  # some parcel is idle land (one full year, R1 level 3 or more)


def stage_at_least(stage: str | None, floor: str) -> bool:
    """Pipeline order; 调出 (cancelled) and unknown stages are past nothing."""
    return stage in STAGES and STAGES.index(stage) >= STAGES.index(floor)


def approval_start_date(facts: ProjectFacts, as_of: date) -> date | None:
    """The 开工 milestone's actual date, when it had happened by `as_of`."""
    milestone = facts.milestone(START_MILESTONE)
    if milestone is not None and milestone.actual is not None and milestone.actual <= as_of:
        return milestone.actual
    return None


def approval_started(facts: ProjectFacts, as_of: date) -> bool:
    # The stage is today's; a stage reported for a later day cannot be told apart, so it counts.
    return stage_at_least(facts.stage, "started") or approval_start_date(facts, as_of) is not None


def stats_started(facts: ProjectFacts, as_of: date) -> bool:
    return facts.stats_start_date is not None and facts.stats_start_date <= as_of


def counts_for_start_rate(facts: ProjectFacts, as_of: date) -> bool:
    """What the monthly bulletin's 开工率 counts: the approval/stage 开工 (stage at or past started, or
    the 开工 milestone done), the same scale as its denominator, the projects planned to start (the
    开工 milestone's planned date). The statistics 新开工 date is 统计局's figure: shown beside it
    (StartStatus.stats_started), never used to make our own rate look better."""
    return approval_started(facts, as_of)


def idle_parcels(facts: ProjectFacts, policy: Policy, as_of: date) -> list[Finding]:
    """R1's findings at the idle level (fee or reclamation) as of the day."""
    # Imported here: the rules package imports this module for its registry.
    from services.escalation.domain.rules.idle_land import evaluate_idle_land

    return [f for f in evaluate_idle_land(facts, policy, as_of) if f.colour == "red"]


def start_status(facts: ProjectFacts, as_of: date, policy: Policy | None = None) -> StartStatus:
    """The three starts of one project as of a Beijing day (idleness under `policy`, the national one by default)."""
    parcels = facts.parcels
    land_all = bool(parcels) and all(p.actual_start_date is not None and p.actual_start_date <= as_of for p in parcels)
    return StartStatus(
        approval_started=approval_started(facts, as_of),
        stats_started=stats_started(facts, as_of),
        land_started_all_parcels=land_all,
        counts_for_start_rate=counts_for_start_rate(facts, as_of),
        idle_under_land_law=bool(idle_parcels(facts, policy or Policy(), as_of)),
    )


def evaluate_started_but_idle(facts: ProjectFacts, policy: Policy, as_of: date) -> list[Finding]:
    """A project the 开工率 counts as started whose land is idle under land law: the office should know."""
    if not counts_for_start_rate(facts, as_of):
        return []
    idle = idle_parcels(facts, policy, as_of)
    if not idle:
        return []
    parcels = ",".join(f.subject.removeprefix("parcel:") for f in idle)
    evidence = {"idle_parcels": parcels, "idle_since": ",".join(f.evidence.get("idle_since", "") for f in idle),
                "stage": facts.stage or "", "stats_start_date": facts.stats_start_date.isoformat() if facts.stats_start_date else ""}
    started = approval_start_date(facts, as_of)
    if started is not None:
        evidence["approval_start_date"] = started.isoformat()
    members = audience([("office", policy.project_office, "action"), ("department", policy.land_bureau, "informed")],
                       Audience("office", policy.project_office, "action"))
    summary = (f"{facts.display_name}：已按开工计入开工率，但地块{parcels}按《闲置土地处置办法》已构成闲置土地，"
               "开工统计与土地动工开发认定不一致，请核实")
    return [catalog.finding(RULE_ID, policy, subject="start_vs_land", occurrence="1", level=1, level_name="开工统计与土地闲置不一致",
                            colour="yellow", audience=members, evidence=evidence, summary=summary)]
