"""Three starts kept apart: approval/stage 开工, statistics 新开工, land-law 动工开发; started for the 开工率 yet idle land."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from services.escalation.domain.facts import MilestoneFact, Parcel, ProjectFacts
from services.escalation.domain.findings import Audience
from services.escalation.domain.policy import Policy
from services.escalation.domain.starts import StartStatus, counts_for_start_rate, evaluate_started_but_idle, start_status

D = date.fromisoformat
POLICY = Policy(county_code="330106")
IDLE_LAND = Parcel(parcel_id="XH-1", agreed_start_date=D("2025-03-01"))  # idle from 2026-03-02
DUG = Parcel(parcel_id="XH-2", agreed_start_date=D("2025-03-01"), actual_start_date=D("2025-06-01"))


def facts(**changes: Any) -> ProjectFacts:
    base = ProjectFacts(project_id="p-8", name="城西科创园", county_code="330106", stage="signed", parcels=(IDLE_LAND,))
    return replace(base, **changes)


@pytest.mark.parametrize(
    ("changes", "as_of", "expected"),
    [
        pytest.param({}, "2026-03-02", StartStatus(False, False, False, False, True), id="nothing-started-land-idle"),
        pytest.param({"stage": "started"}, "2026-03-02", StartStatus(True, False, False, True, True), id="stage-started-land-idle"),
        pytest.param({"stage": "started"}, "2026-03-01", StartStatus(True, False, False, True, False), id="day-before-idle"),
        pytest.param({"milestones": (MilestoneFact(name="开工", actual=D("2026-01-08")),)}, "2026-03-02",
                     StartStatus(True, False, False, True, True), id="milestone-done"),
        pytest.param({"milestones": (MilestoneFact(name="开工", actual=D("2026-03-03")),)}, "2026-03-02",
                     StartStatus(False, False, False, False, True), id="milestone-for-a-later-day"),
        pytest.param({"stats_start_date": D("2026-01-08")}, "2026-03-02", StartStatus(False, True, False, False, True),
                     id="statistics-start-alone-does-not-count-for-the-rate"),
        pytest.param({"stage": "started", "parcels": (DUG,)}, "2026-03-02", StartStatus(True, False, True, True, False), id="all-dug"),
        pytest.param({"stage": "started", "parcels": (DUG, IDLE_LAND)}, "2026-03-02", StartStatus(True, False, False, True, True),
                     id="one-parcel-of-two"),
        pytest.param({"stage": "cancelled", "parcels": ()}, "2026-03-02", StartStatus(False, False, False, False, False), id="cancelled"),
    ],
)
def test_start_status(changes: dict[str, Any], as_of: str, expected: StartStatus) -> None:
    assert start_status(facts(**changes), D(as_of)) == expected
    assert counts_for_start_rate(facts(**changes), D(as_of)) is expected.counts_for_start_rate


@pytest.mark.parametrize(
    ("changes", "as_of", "flagged"),
    [
        pytest.param({"stage": "started"}, "2026-03-01", False, id="not-idle-yet"),
        pytest.param({"stage": "started"}, "2026-03-02", True, id="started-and-idle"),
        pytest.param({}, "2026-03-02", False, id="not-counted-as-started"),
        pytest.param({"stage": "started", "parcels": (DUG,)}, "2027-01-01", False, id="land-dug"),
    ],
)
def test_started_but_idle(changes: dict[str, Any], as_of: str, flagged: bool) -> None:
    assert bool(evaluate_started_but_idle(facts(**changes), POLICY, D(as_of))) is flagged


def test_started_but_idle_finding_goes_to_the_office_with_the_land_bureau_informed() -> None:
    milestones = (MilestoneFact(name="开工", actual=D("2026-01-08")),)
    [f] = evaluate_started_but_idle(facts(milestones=milestones), POLICY, D("2026-03-02"))
    assert (f.rule_id, f.subject, f.level, f.colour) == ("R1.started_but_idle", "start_vs_land", 1, "yellow")
    assert f.audience == (Audience("office", "县重点项目办", "action"), Audience("department", "自然资源局", "informed"))
    assert (f.evidence["idle_parcels"], f.evidence["idle_since"], f.evidence["approval_start_date"]) == ("XH-1", "2026-03-02", "2026-01-08")
    assert f.evidence["rule_article"] == "第三十条(动工开发的界定)" and "开工率" in f.summary
