"""R6 stale or missing data (grey, never green) and the project colour: worst finding, grey when stale, self-report only worsens."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from services.escalation.domain.colour import is_stale, project_colour
from services.escalation.domain.facts import ProjectFacts
from services.escalation.domain.findings import Audience
from services.escalation.domain.policy import Policy
from services.escalation.domain.rules.data_freshness import evaluate

D = date.fromisoformat
POLICY = Policy(county_code="330106")


def facts(**changes: Any) -> ProjectFacts:
    base = ProjectFacts(project_id="p-6", name="城东综合管廊", county_code="330106", stage="started",
                        responsible_unit="城建集团", last_reported_on=D("2026-02-01"))
    return replace(base, **changes)


@pytest.mark.parametrize(
    ("last", "as_of", "stale"),
    [
        pytest.param("2026-02-01", "2026-03-01", False, id="last-day-of-the-month"),
        pytest.param("2026-02-01", "2026-03-02", True, id="one-full-month-without-update"),
        pytest.param("2026-01-31", "2026-02-28", False, id="month-end-clips-to-february-28"),
        pytest.param("2026-01-31", "2026-03-01", True, id="day-after-february-28"),
    ],
)
def test_stale_after_one_full_month(last: str, as_of: str, stale: bool) -> None:
    assert is_stale(facts(last_reported_on=D(last)), POLICY, D(as_of)) is stale
    assert bool(evaluate(facts(last_reported_on=D(last)), POLICY, D(as_of))) is stale


@pytest.mark.parametrize(
    ("changes", "stale"),
    [
        pytest.param({"stage": "signed"}, False, id="not-reporting-yet"),
        pytest.param({"stage": "at_capacity"}, False, id="finished"),
        pytest.param({"stage": None}, False, id="stage-unknown"),
        pytest.param({"last_reported_on": None}, True, id="never-reported-is-missing-data"),
    ],
)
def test_only_projects_that_owe_reports_go_stale(changes: dict[str, Any], stale: bool) -> None:
    assert is_stale(facts(**changes), POLICY, D("2026-06-01")) is stale


def test_reporting_stages_and_period_are_county_settings() -> None:
    policy = Policy(reporting_stages=("signed", "started"), stale_after_months=2)
    assert is_stale(facts(stage="signed"), policy, D("2026-04-01")) is False
    assert is_stale(facts(stage="signed"), policy, D("2026-04-02")) is True


def test_the_grey_finding() -> None:
    [f] = evaluate(facts(), POLICY, D("2026-03-02"))
    assert (f.rule_id, f.subject, f.occurrence, f.level, f.colour) == ("R6.data_freshness", "data", "2026-02-01", 1, "grey")
    assert f.action == (Audience("department", "城建集团", "action"),)
    assert (f.evidence["fresh_until"], f.evidence["colour"], f.evidence["threshold.stale_after_months"]) == ("2026-03-01", "grey", "1")
    assert "灰色" in f.level_name and f.summary.startswith("城东综合管廊")
    [never] = evaluate(facts(last_reported_on=None), POLICY, D("2026-03-02"))
    assert (never.occurrence, never.evidence["last_reported_on"]) == ("never", "")


@pytest.mark.parametrize(
    ("colours", "stale", "self_reported", "expected"),
    [
        pytest.param([], False, None, "green", id="nothing-found"),
        pytest.param(["green"], False, None, "green", id="a-reminder-is-no-problem"),
        pytest.param([], True, None, "grey", id="stale-is-never-green"),
        pytest.param(["green"], True, None, "grey", id="stale-with-a-reminder"),
        pytest.param(["grey"], False, None, "grey", id="missing-ledger"),
        pytest.param(["yellow"], True, None, "yellow", id="a-known-problem-outranks-stale"),
        pytest.param(["grey", "yellow"], False, None, "yellow", id="worst-yellow"),
        pytest.param(["yellow", "red", "grey"], False, None, "red", id="worst-red"),
        pytest.param([], False, "yellow", "yellow", id="self-report-may-worsen"),
        pytest.param(["yellow"], False, "red", "red", id="self-red-over-computed-yellow"),
        pytest.param(["red"], False, "green", "red", id="self-green-never-hides-red"),
        pytest.param(["yellow"], False, "green", "yellow", id="self-green-never-hides-yellow"),
        pytest.param([], True, "green", "grey", id="self-green-never-hides-stale"),
        pytest.param([], True, "yellow", "yellow", id="self-yellow-over-grey"),
    ],
)
def test_project_colour(colours: list[str], stale: bool, self_reported: str | None, expected: str) -> None:
    assert project_colour(colours, stale, self_reported) == expected


@pytest.mark.parametrize(("colours", "self_reported"), [(["amber"], None), ([], "grey"), ([], "black")])
def test_unknown_colours_are_refused(colours: list[str], self_reported: str | None) -> None:
    with pytest.raises(ValueError):
        project_colour(colours, False, self_reported)
