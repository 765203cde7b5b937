"""The problem list's figures (问题清单, 交办事项落实率, long-open problems) against the hand-labelled rows of county.py."""
from __future__ import annotations

from datetime import date

import pytest

from services.escalation.bulletin.coordination import add_months, assignment_delivery, long_open, problem_figures, whole_months
from services.escalation.bulletin.figures import compute_figures
from services.escalation.bulletin.settings import BulletinSettings
from services.escalation.problems.policy import CATEGORIES, ProblemPolicy

from .county import ACTIONS, AS_OF, ASSIGNMENTS, CASES, COUNTY, ESCALATIONS, MONTH, PROBLEM_STEPS, PROBLEMS, PROJECTS, problem_row
from .test_bulletin_figures import figures, pct

NAMES = {pid: facts.display_name for facts, pid in PROJECTS}


def tallies(rows: tuple) -> dict[str, tuple[int, int, int, int]]:
    return {t.key: (t.raised, t.solved, t.overdue, t.climbed) for t in rows}


def test_raised_solved_overdue_and_climbed_in_the_month() -> None:
    p = problem_figures(PROBLEMS, PROBLEM_STEPS, MONTH, AS_OF, CATEGORIES)
    # raised q2 q3 q8; solved q3 (once) and q9 (again after reopening); overdue q1 q2; climbed q4 (June's climb only)
    assert (p.total.key, p.total.raised, p.total.solved, p.total.overdue, p.total.climbed) == ("合计", 3, 2, 2, 1)
    assert [t.key for t in p.by_category] == [*CATEGORIES, "环保"]  # every configured category, then any other with a figure
    assert {k: v for k, v in tallies(p.by_category).items() if v != (0, 0, 0, 0)} == {
        "用地": (0, 0, 1, 0), "规划": (1, 0, 1, 0), "资金": (1, 1, 0, 1), "施工环境": (0, 1, 0, 0), "环保": (1, 0, 0, 0)}
    # departments with any figure, the most overdue first, then the most raised, the most solved
    assert [(t.key, t.raised, t.solved, t.overdue, t.climbed) for t in p.by_department] == [
        ("自然资源局", 1, 0, 2, 0), ("财政局", 1, 1, 0, 1), ("生态环境局", 1, 0, 0, 0), ("住建局", 0, 1, 0, 0)]


def test_a_bulletin_made_mid_month_counts_up_to_its_as_of_day() -> None:
    p = problem_figures(PROBLEMS, PROBLEM_STEPS, MONTH, date(2026, 6, 15), CATEGORIES)
    # q8 was raised on the 15th itself; nothing solved yet; q1 and q2 are not past due on the 15th
    assert (p.total.raised, p.total.solved, p.total.overdue, p.total.climbed) == (3, 0, 0, 1)
    d = assignment_delivery(ASSIGNMENTS, MONTH, date(2026, 6, 15))
    assert (d.total.due, d.total.on_time, d.total.percent) == (3, 2, pct(2, 3))  # a1 (due and closed the 15th), a4, a7


def test_a_department_without_a_name_is_shown_as_unregistered() -> None:
    rows = [problem_row("z", "p01", "资金", None, date(2026, 6, 3), "raised", 1, "区重点项目办", date(2026, 6, 10))]
    assert tallies(problem_figures(rows, [], MONTH, AS_OF).by_department) == {"（未登记）": (1, 0, 1, 0)}


def test_assignments_closed_by_their_meeting_deadline_per_handler_department() -> None:
    d = assignment_delivery(ASSIGNMENTS, MONTH, AS_OF)
    # due in June: a1 a2 a3 a4 a7 (a5 is July's, a6 May's); on time a1 (the day itself) and a4; a2 closed late; a3 a7 open
    assert (d.total.department, d.total.due, d.total.on_time, d.total.closed_late, d.total.still_open, d.total.percent) == (
        "合计", 5, 2, 1, 2, "40.0")
    assert [(r.department, r.due, r.on_time, r.closed_late, r.still_open, r.percent) for r in d.by_department] == [
        ("住建局", 1, 0, 0, 1, "0.0"), ("自然资源局", 3, 1, 1, 1, pct(1, 3)), ("财政局", 1, 1, 0, 0, "100.0")]  # lowest rate first
    assert pct(1, 3) == "33.3"


def test_no_assignment_due_is_no_rate() -> None:
    d = assignment_delivery(ASSIGNMENTS, "2026-08", date(2026, 8, 31))
    assert (d.total.due, d.total.percent, d.by_department) == (0, None, ())


def test_problems_open_more_than_three_months() -> None:
    long = long_open(PROBLEMS, NAMES, AS_OF, 3)
    # q1 since 10 Feb (4 whole months, 140 days); q5 since 29 March (3 months and a day); q4 since 30 March is 3 months to the day
    assert [(p.problem_id, p.project_name, p.category, p.level_name, p.target_name, p.months_open, p.days_open, p.months_reported)
            for p in long.problems] == [("q1", "项目p01", "用地", "分包领导协调", "陈立新", 4, 140, 5),
                                        ("q5", "项目p06", "征迁", "调度会议定", "区重点项目调度会", 3, 93, 0)]
    assert long.problems[0].description == "问题q1：用地方面的困难"
    assert [p.problem_id for p in long_open(PROBLEMS, NAMES, AS_OF, 2).problems] == ["q1", "q5", "q4"]


@pytest.mark.parametrize(("opened", "listed"), [(date(2026, 3, 29), True), (date(2026, 3, 30), False), (date(2026, 3, 31), False)])
def test_more_than_three_months_at_the_boundary(opened: date, listed: bool) -> None:
    row = problem_row("b", "p01", "用地", "自然资源局", opened, "accepted", 1, "自然资源局", None)
    assert bool(long_open([row], NAMES, date(2026, 6, 30), 3).problems) is listed
    assert not long_open([{**row, "state": "solved"}], NAMES, date(2026, 6, 30), 3).problems  # solved is not open


@pytest.mark.parametrize(("start", "months", "end"), [(date(2026, 1, 31), 1, date(2026, 2, 28)), (date(2026, 3, 31), 3, date(2026, 6, 30)),
                                                      (date(2025, 11, 15), 3, date(2026, 2, 15))])
def test_months_later_keep_the_day_or_the_months_last(start: date, months: int, end: date) -> None:
    assert add_months(start, months) == end
    assert whole_months(start, end) == months
    assert whole_months(start, date.fromordinal(end.toordinal() - 1)) == months - 1


def test_the_bulletin_carries_them_with_the_policy_threshold_and_headline() -> None:
    f = figures()
    assert (f.problems.total.solved, f.assignment_delivery.total.percent, len(f.long_open.problems)) == (2, "40.0", 2)
    headline = f.headline()
    assert {k: headline[k] for k in ("problems_raised", "problems_solved", "problems_overdue", "long_open_problems",
                                     "assignments_on_time_percent")} == {
        "problems_raised": "3", "problems_solved": "2", "problems_overdue": "2", "long_open_problems": "2", "assignments_on_time_percent": "40.0"}
    change = next(c for c in f.changes if c.label.startswith("会议交办事项落实率"))
    assert (change.previous, change.now) == (None, "40.0")
    two = compute_figures(county_code=COUNTY, county_name="西湖区", month=MONTH, as_of=AS_OF, projects=PROJECTS, escalations=ESCALATIONS,
                          cases=CASES, case_actions=ACTIONS, previous=None, settings=BulletinSettings(), problems=PROBLEMS,
                          assignments=ASSIGNMENTS, coordination_actions=PROBLEM_STEPS,
                          problem_policy=ProblemPolicy(long_open_months=2, categories=("用地", "资金")))
    assert (two.long_open.threshold_months, len(two.long_open.problems)) == (2, 3)
    # the configured categories, then the others with a figure this month (审批 and 征迁 have none), in the seeds' order
    assert [t.key for t in two.problems.by_category] == ["用地", "资金", "规划", "施工环境", "环保"]
