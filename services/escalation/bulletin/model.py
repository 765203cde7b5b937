"""The bulletin's figures as frozen values: percentages are exact strings, money integer fen."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True, slots=True)
class StageRate:
    """开工率, 竣工率 or 投产率: projects whose milestone is planned this year, and how many reached it."""

    milestone: str
    planned: int
    done: int
    percent: str | None
    target_percent: str | None
    meets_target: bool | None
    pending: tuple[str, ...]  # names of the projects planned this year that have not reached it


@dataclass(frozen=True, slots=True)
class StartForecast:
    """The year-end 开工率 if every project on schedule starts as planned (see rates.py)."""

    planned: int
    started: int
    expected: int
    percent: str | None
    target_percent: str | None
    meets_target: bool | None
    at_risk: tuple[str, ...]  # planned this year, not started and not on schedule


@dataclass(frozen=True, slots=True)
class Investment:
    annual_plan_fen: int
    ytd_fen: int
    completion_percent: str | None
    schedule_percent: str  # 序时进度: elapsed months ÷ 12
    behind_points: str | None  # schedule minus completion, in percentage points
    target_percent: str | None
    meets_target: bool | None


@dataclass(frozen=True, slots=True)
class BehindProject:
    project_id: str
    name: str
    responsible_unit: str
    annual_plan_fen: int | None
    ytd_fen: int | None
    completion_percent: str | None
    schedule_percent: str | None
    behind_points: str | None
    colour: str  # yellow | red
    source: str  # R5 (graded by its rule with the county's policy) | computed (with the bulletin's bands, no policy given)


@dataclass(frozen=True, slots=True)
class IdleParcel:
    project_id: str
    name: str
    parcel: str
    idle_type: str
    idle_since: str | None
    days_idle: int | None
    level: int
    level_name: str
    evaluated_on: date


@dataclass(frozen=True, slots=True)
class Count:
    key: str
    count: int


@dataclass(frozen=True, slots=True)
class OpenCases:
    total: int
    overdue: int
    by_level: tuple[Count, ...]
    by_department: tuple[Count, ...]
    by_rule: tuple[Count, ...]


@dataclass(frozen=True, slots=True)
class RedToGreen:
    count: int
    median_days: str | None
    mean_days: str | None


@dataclass(frozen=True, slots=True)
class Letters:
    """交办函 whose deadline fell this year up to the as-of date, and how many were answered in time."""

    due: int
    on_time: int
    percent: str | None


@dataclass(frozen=True, slots=True)
class RankingRow:
    rank: int
    name: str
    projects: int
    green: int
    green_percent: str
    overdue_cases: int
    score: str


@dataclass(frozen=True, slots=True)
class Ranking:
    """红黑榜 of one kind of unit (责任单位 or 乡镇/街道); scoring in rankings.py."""

    kind: str
    rows: tuple[RankingRow, ...]
    red_list: tuple[str, ...]  # 红榜: the best
    black_list: tuple[str, ...]  # 黑榜: the worst


@dataclass(frozen=True, slots=True)
class Assignment:
    case_id: str
    project_name: str
    rule_id: str
    target_name: str
    ladder_level: int
    opened_on: date
    due_on: date | None
    state_then: str | None  # as last month's bulletin showed it
    state_now: str


@dataclass(frozen=True, slots=True)
class FollowUp:
    month: str
    assignments: tuple[Assignment, ...]
    closed: int
    answered: int  # replied, reviewed or closed
    answered_percent: str | None


@dataclass(frozen=True, slots=True)
class ProblemTally:
    """Problems of one group (a category, a responsible department, or all) in the month; see coordination.py."""

    key: str
    raised: int
    solved: int
    overdue: int
    climbed: int  # moved up a level in the month because a deadline was missed


@dataclass(frozen=True, slots=True)
class ProblemFigures:
    total: ProblemTally
    by_category: tuple[ProblemTally, ...]
    by_department: tuple[ProblemTally, ...]


@dataclass(frozen=True, slots=True)
class Delivery:
    """交办事项落实 of one handler department (or all): assignments whose meeting deadline fell in the month."""

    department: str
    due: int
    on_time: int  # closed (销号) on or before the meeting's deadline
    closed_late: int
    still_open: int
    percent: str | None  # 落实率: on_time ÷ due


@dataclass(frozen=True, slots=True)
class AssignmentDelivery:
    total: Delivery
    by_department: tuple[Delivery, ...]


@dataclass(frozen=True, slots=True)
class LongOpenProblem:
    problem_id: str
    project_id: str
    project_name: str
    category: str
    description: str
    level: int
    level_name: str
    target_name: str  # who must act now
    opened_on: date
    days_open: int
    months_open: int  # whole months from opened_on to the as-of day
    months_reported: int  # ledger months that reported it


@dataclass(frozen=True, slots=True)
class LongOpen:
    threshold_months: int
    problems: tuple[LongOpenProblem, ...]


@dataclass(frozen=True, slots=True)
class Referral:
    """A finding referred (移送) to an oversight body: referred in the month, or still not signed for."""

    project_name: str
    body: str
    level_name: str
    overrun: str  # the figure the rule crossed, as the pack states it (e.g. the amount over budget in fen)
    referred_on: date
    acknowledged_on: date | None


@dataclass(frozen=True, slots=True)
class Change:
    label: str
    previous: str | None
    now: str | None


@dataclass(frozen=True, slots=True)
class BulletinFigures:
    county_code: str
    county_name: str
    month: str
    as_of: date
    projects: int
    start_rate: StageRate
    completion_rate: StageRate
    production_rate: StageRate
    start_forecast: StartForecast
    investment: Investment
    behind: tuple[BehindProject, ...]
    idle_parcels: tuple[IdleParcel, ...]
    open_cases: OpenCases
    red_to_green: RedToGreen
    letters: Letters
    unit_ranking: Ranking
    township_ranking: Ranking
    new_assignments: tuple[Assignment, ...]
    follow_up: FollowUp
    problems: ProblemFigures
    assignment_delivery: AssignmentDelivery
    long_open: LongOpen
    changes: tuple[Change, ...]
    referrals: tuple[Referral, ...] = ()

    @property
    def title(self) -> str:
        year, month = self.month.split("-")
        return f"{self.county_name}重点项目{year}年{int(month)}月通报"

    def headline(self) -> dict[str, str]:
        """The key figures as exact strings, for the BulletinPublished event and the messages."""
        values = {
            "projects": str(self.projects),
            "start_rate_percent": self.start_rate.percent,
            "start_rate_target_percent": self.start_rate.target_percent,
            "start_forecast_percent": self.start_forecast.percent,
            "completion_rate_percent": self.completion_rate.percent,
            "production_rate_percent": self.production_rate.percent,
            "investment_completion_percent": self.investment.completion_percent,
            "investment_schedule_percent": self.investment.schedule_percent,
            "behind_projects": str(len(self.behind)),
            "idle_parcels": str(len(self.idle_parcels)),
            "open_cases": str(self.open_cases.total),
            "letters_on_time_percent": self.letters.percent,
            "problems_raised": str(self.problems.total.raised),
            "problems_solved": str(self.problems.total.solved),
            "problems_overdue": str(self.problems.total.overdue),
            "long_open_problems": str(len(self.long_open.problems)),
            "assignments_on_time_percent": self.assignment_delivery.total.percent,
        }
        return {key: value for key, value in values.items() if value is not None}

    def to_json(self) -> dict[str, Any]:
        return _jsonable(dataclasses.asdict(self)) | {"title": self.title, "headline": self.headline()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


@dataclass(frozen=True, slots=True)
class PreviousFigures:
    """What this month's follow-up reads from last month's stored figures."""

    month: str
    headline: dict[str, str]
    assignment_states: dict[str, str]  # case id → state shown last month

    @classmethod
    def from_json(cls, figures: dict[str, Any]) -> PreviousFigures:
        return cls(month=figures["month"], headline=dict(figures.get("headline", {})),
                   assignment_states={a["case_id"]: a["state_now"] for a in figures.get("new_assignments", [])})
