"""The bulletin's figures against values computed here, by plain arithmetic, from the hand-labelled county."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest

from services.escalation.bulletin.figures import compute_figures
from services.escalation.bulletin.model import BulletinFigures, PreviousFigures
from services.escalation.bulletin.settings import BulletinSettings
from services.escalation.domain.facts import ProjectFacts
from services.escalation.domain.policy import Policy

from .county import ACTIONS, AS_OF, ASSIGNMENTS, CASES, COUNTY, ESCALATIONS, MONTH, PROBLEM_STEPS, PROBLEMS, PROJECTS, ROWS


def pct(part: int | Fraction, whole: int = 1) -> str:
    """Independent of the code under test: Decimal division, rounded half up to one place."""
    value = Decimal(part.numerator) / Decimal(part.denominator) if isinstance(part, Fraction) else Decimal(part)
    return str((value * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def figures(previous: PreviousFigures | None = None, settings: BulletinSettings | None = None,
            projects: Sequence[tuple[ProjectFacts, str]] = PROJECTS) -> BulletinFigures:
    return compute_figures(county_code=COUNTY, county_name="西湖区", month=MONTH, as_of=AS_OF, projects=projects, escalations=ESCALATIONS,
                           cases=CASES, case_actions=ACTIONS, previous=previous, settings=settings or BulletinSettings(),
                           problems=PROBLEMS, assignments=ASSIGNMENTS, coordination_actions=PROBLEM_STEPS)


def test_stage_rates_against_the_labels() -> None:
    f = figures()
    planned_start = [r for r in ROWS if r.stage != "cancelled" and r.start and r.start[0] and r.start[0].year == 2026]
    started = [r for r in planned_start if r.counts_started]
    assert (f.start_rate.planned, f.start_rate.done, f.start_rate.percent) == (len(planned_start), len(started), pct(len(started), len(planned_start)))
    assert f.start_rate.target_percent == "70.0" and f.start_rate.meets_target is False
    for rate, field, label in ((f.completion_rate, "done", "completed"), (f.production_rate, "production", "producing")):
        planned = [r for r in ROWS if getattr(r, field) and getattr(r, field)[0].year == 2026]
        reached = [r for r in planned if getattr(r, label)]
        assert (rate.planned, rate.done, rate.percent) == (len(planned), len(reached), pct(len(reached), len(planned)))
    assert (f.start_rate.planned, f.start_rate.done, f.completion_rate.percent) == (8, 4, "66.7")  # the county as built


def test_forecast_counts_projects_on_schedule_and_names_those_at_risk() -> None:
    f = figures()
    planned = [r for r in ROWS if r.stage != "cancelled" and r.start and r.start[0] and r.start[0].year == 2026]
    expected = [r for r in planned if r.expected]
    started = [r for r in planned if r.counts_started]
    assert (f.start_forecast.started, f.start_forecast.expected) == (len(started), len(expected))
    assert f.start_forecast.percent == pct(len(started) + len(expected), len(planned))
    assert set(f.start_forecast.at_risk) == {f"项目{r.pid}" for r in planned if not r.counts_started and not r.expected}
    assert f.start_forecast.meets_target is True  # 6 of 8 = 75% ≥ 70%
    assert figures(settings=BulletinSettings(start_rate_target=Fraction(80))).start_forecast.meets_target is False


def test_investment_and_behind_list_by_the_r5_bands() -> None:
    f = figures()
    with_plan = [r for r in ROWS if r.plan_wan]
    plan, done = sum(r.plan_wan for r in with_plan), sum(r.ytd_wan or 0 for r in with_plan)
    assert (f.investment.annual_plan_fen, f.investment.ytd_fen) == (plan * 1_000_000, done * 1_000_000)
    assert f.investment.completion_percent == pct(Fraction(done, plan))
    assert f.investment.schedule_percent == "50.0"
    assert f.investment.behind_points == pct(Fraction(1, 2) - Fraction(done, plan))
    behind = {}
    for r in with_plan:
        points = 50 - Fraction(100 * (r.ytd_wan or 0), r.plan_wan)
        if points > 30:
            behind[r.pid] = "red"
        elif points >= 10:
            behind[r.pid] = "yellow"
    assert {b.project_id: b.colour for b in f.behind} == behind
    assert [b.colour for b in f.behind] == sorted((c for c in behind.values()), key=lambda c: c != "red")  # reds first
    assert all(b.source == "computed" for b in f.behind)


def test_the_months_own_years_plans_count_when_next_years_are_in() -> None:
    """A bulletin written after the year turned (December's, in January) measures the year against its own plans."""
    next_year_in = [(replace(p, annual_plan_fen=p.annual_plan_fen * 3, annual_plans=((2026, p.annual_plan_fen), (2027, p.annual_plan_fen * 3)))
                     if p.annual_plan_fen else p, pid) for p, pid in PROJECTS]
    assert sum(p.annual_plan_fen or 0 for p, _ in next_year_in) > figures().investment.annual_plan_fen
    later = figures(projects=next_year_in)
    assert (later.investment, later.behind) == (figures().investment, figures().behind)


def test_with_the_countys_policy_the_list_is_r5s_own_grade_of_the_month() -> None:
    """One row per project behind for the year, as R5 grades the bulletin's month with the county's bands: the open
    escalations (the recent months' grade, a missed 下月计划) neither add rows nor stand in for the year's figures."""
    window = {"escalation_id": "e-r5", "project_id": "p07", "county_code": COUNTY, "rule_id": "R5.investment_progress", "level": 2,
              "level_name": "近3个月投资欠序时进度(红灯)", "status": "open", "subject": "investment:quarter", "as_of": AS_OF,
              "opened_at": None, "cleared_at": None, "evidence": {"colour": "red", "behind_points": "80.00", "annual_plan_fen": "2000000000"}}
    plan = {**window, "escalation_id": "e-plan", "project_id": "p08", "rule_id": "R5.plan_missed", "subject": "monthly_plan",
            "evidence": {"colour": "red", "plan_fen": "100000000", "done_fen": "50000000"}}

    def graded(policy: Policy) -> list[tuple[str, str, str | None, str | None]]:
        f = compute_figures(county_code=COUNTY, county_name="西湖区", month=MONTH, as_of=AS_OF, projects=PROJECTS,
                            escalations=[*ESCALATIONS, window, plan], cases=CASES, case_actions=ACTIONS, previous=None,
                            settings=BulletinSettings(), policy=policy)
        assert all(b.source == "R5" for b in f.behind)
        return [(b.project_id, b.colour, b.completion_percent, b.schedule_percent) for b in f.behind]

    # The default bands are the bulletin's own (10 and 30 points): the same list as computed by hand from the labels.
    assert graded(Policy(county_code=COUNTY)) == [(b.project_id, b.colour, b.completion_percent, b.schedule_percent) for b in figures().behind]
    # A county's own bands decide who is listed, and in which colour.
    assert {pid for pid, *_ in graded(Policy(county_code=COUNTY, progress_yellow_points=Decimal(45), progress_red_points=Decimal(49)))} == {
        r.pid for r in ROWS if r.plan_wan and 50 - Fraction(100 * (r.ytd_wan or 0), r.plan_wan) >= 45}


def test_idle_land_cases_letters_and_red_to_green() -> None:
    f = figures()
    assert [(p.project_id, p.parcel, p.days_idle) for p in f.idle_parcels] == [("p04", "XH-1", 121)]
    still_open = [c for c in CASES if c["state"] != "closed"]
    assert f.open_cases.total == len(still_open)
    assert f.open_cases.overdue == sum(1 for c in still_open if c["due_on"] < AS_OF)
    assert {c.key: c.count for c in f.open_cases.by_level} == {"L1": 2, "L2": 1, "L3": 1}
    assert {c.key: c.count for c in f.open_cases.by_department} == {"自然资源局": 2, "交通局": 1, "文旅局": 1}
    days = sorted([10, 31, 40])  # e3 opened 02-01 cleared 02-11; e4 03-01→04-01; e6 red since 03-22 (its case) → 05-01
    assert (f.red_to_green.count, f.red_to_green.median_days, f.red_to_green.mean_days) == (3, "31.0", pct(Fraction(sum(days), 300)))
    assert (f.letters.due, f.letters.on_time, f.letters.percent) == (3, 1, pct(1, 3))


def test_rankings_score_green_share_less_overdue_cases() -> None:
    f = figures()
    not_green = {"p04", "p05"} | {b.project_id for b in f.behind}
    overdue = {"p04": 1, "p09": 1}
    expected = {}
    for unit in {r.unit for r in ROWS}:
        members = [r.pid for r in ROWS if r.unit == unit]
        green = sum(p not in not_green for p in members)
        expected[unit] = Fraction(100 * green, len(members)) - 10 * sum(overdue.get(p, 0) for p in members)
    order = sorted(expected, key=lambda u: -expected[u])
    assert [row.name for row in f.unit_ranking.rows] == order
    assert [row.score for row in f.unit_ranking.rows] == [pct(expected[u] / 100) for u in order]
    assert f.unit_ranking.red_list == tuple(order[:2]) and f.unit_ranking.black_list == tuple(order[2:])
    assert {row.name for row in f.township_ranking.rows} == {r.township for r in ROWS}


def test_assignments_and_follow_up_with_and_without_last_month() -> None:
    f = figures()
    assert [a.case_id for a in f.new_assignments] == ["c1", "c2"]
    assert [a.case_id for a in f.follow_up.assignments] == ["c3", "c4", "c5"]
    assert (f.follow_up.closed, f.follow_up.answered, f.follow_up.answered_percent) == (1, 2, pct(2, 3))
    previous = PreviousFigures(month="2026-05", headline={"start_rate_percent": "37.5"}, assignment_states={"c3": "replied", "c4": "opened"})
    f = figures(previous)
    assert [(a.case_id, a.state_then, a.state_now) for a in f.follow_up.assignments] == [("c3", "replied", "closed"), ("c4", "opened", "replied")]
    change = next(c for c in f.changes if c.label.startswith("开工率"))
    assert (change.previous, change.now) == ("37.5", "50.0")


@pytest.mark.parametrize("value", [f for f in figures().to_json().values()])
def test_no_float_anywhere_in_the_stored_figures(value: object) -> None:
    def walk(item: object) -> None:
        assert not isinstance(item, float)
        if isinstance(item, dict):
            for inner in item.values():
                walk(inner)
        elif isinstance(item, list):
            for inner in item:
                walk(inner)

    walk(value)
