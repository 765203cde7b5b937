"""The bulletin's figures as one pure function of the county's records, its targets and the month.

Definitions live next to each figure: rates.py (开工率, 竣工率, 投产率 and the forecast),
investment.py (投资完成率, 欠进度), casework.py (idle land, cases, letters, red to green,
assignments), rankings.py (红黑榜) and coordination.py (问题清单, 交办事项落实率, long-open problems).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from services.escalation.bulletin import casework, coordination, investment, rankings, rates
from services.escalation.bulletin.model import BulletinFigures, Change, PreviousFigures
from services.escalation.bulletin.settings import BulletinSettings
from services.escalation.domain.facts import ProjectFacts
from services.escalation.domain.policy import Policy
from services.escalation.problems.policy import ProblemPolicy

Row = Mapping[str, Any]
CHANGE_LABELS = {
    "start_rate_percent": "开工率（%）",
    "start_forecast_percent": "年底开工率预测（%）",
    "completion_rate_percent": "竣工率（%）",
    "production_rate_percent": "投产率（%）",
    "investment_completion_percent": "投资完成率（%）",
    "behind_projects": "欠进度项目（个）",
    "idle_parcels": "闲置地块（宗）",
    "open_cases": "在办督办件（件）",
    "problems_raised": "本月提出问题（个）",
    "problems_solved": "本月解决问题（个）",
    "problems_overdue": "逾期未解决问题（个）",
    "long_open_problems": "长期未解决问题（个）",
    "assignments_on_time_percent": "会议交办事项落实率（%）",
}


def previous_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


def compute_figures(*, county_code: str, county_name: str, month: str, as_of: date,
                    projects: Sequence[tuple[ProjectFacts, str]], escalations: Sequence[Row], cases: Sequence[Row],
                    case_actions: Sequence[Row], previous: PreviousFigures | None, settings: BulletinSettings,
                    policy: Policy | None = None, problems: Sequence[Row] = (), assignments: Sequence[Row] = (),
                    coordination_actions: Sequence[Row] = (), problem_policy: ProblemPolicy | None = None,
                    referrals: Sequence[Row] = ()) -> BulletinFigures:
    """Every figure of one county's bulletin for `month`, as known on `as_of` (a Beijing date).

    With the county's policy, idle days are counted as of `as_of` by the R1 rule itself (pauses included);
    without it, as the open escalation recorded them. The problem list's figures take the county's problems,
    meeting assignments and their audit rows, and the problem policy's categories and `long_open_months`."""
    year = int(month[:4])
    facts = [f for f, _ in projects]
    names = {project_id: f.display_name for f, project_id in projects}
    open_escalations = [row for row in escalations if row["status"] == "open" and row["county_code"] == county_code]
    behind = investment.behind_list(facts, month, settings, policy)
    not_green = {row["project_id"] for row in open_escalations} | {b.project_id for b in behind}
    overdue = rankings.overdue_by_project(cases, as_of)
    last_month = previous_month(month)
    problem_policy = problem_policy or ProblemPolicy()
    figures = BulletinFigures(
        county_code=county_code, county_name=county_name, month=month, as_of=as_of, projects=len(facts),
        start_rate=rates.stage_rate(facts, rates.START, year, as_of, settings.start_rate_target),
        completion_rate=rates.stage_rate(facts, rates.COMPLETION, year, as_of, settings.completion_rate_target),
        production_rate=rates.stage_rate(facts, rates.PRODUCTION, year, as_of, settings.production_rate_target),
        start_forecast=rates.start_forecast(facts, year, as_of, settings.start_rate_target),
        investment=investment.investment(facts, month, settings),
        behind=behind,
        idle_parcels=casework.idle_parcels(open_escalations, names, {pid: f for f, pid in projects}, policy, as_of),
        open_cases=casework.open_cases(cases, as_of),
        red_to_green=casework.red_to_green(escalations, cases, year, as_of),
        letters=casework.letters(cases, case_actions, year, as_of),
        unit_ranking=rankings.ranking("责任单位", facts, not_green, overdue, settings),
        township_ranking=rankings.ranking("乡镇（街道）", facts, not_green, overdue, settings),
        new_assignments=casework.opened_in(cases, month, names),
        follow_up=casework.follow_up(cases, last_month, previous, names),
        problems=coordination.problem_figures(problems, coordination_actions, month, as_of, problem_policy.categories),
        assignment_delivery=coordination.assignment_delivery(assignments, month, as_of),
        long_open=coordination.long_open(problems, names, as_of, problem_policy.long_open_months),
        changes=(),
        referrals=coordination.referrals_of(referrals, names, month, as_of),
    )
    now = figures.headline()
    before = previous.headline if previous is not None else {}
    changes = tuple(Change(label, before.get(key), now.get(key)) for key, label in CHANGE_LABELS.items())
    return BulletinFigures(**{**{f: getattr(figures, f) for f in figures.__dataclass_fields__}, "changes": changes})
