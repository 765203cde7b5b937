"""The overview's and the rankings' figures, counted by the database (a county of 20,000 projects stays under 300 ms).

The bulletin (services/escalation/bulletin/rates.py) computes from escalation's ProjectFacts; building
those for every snapshot per page view would cost more than the page's whole budget, so the same
definitions are applied here to the read model's columns: rate = done ÷ planned, where planned means
the milestone (开工/竣工/投产) is planned within the year and the project is not cancelled, and done
means its actual date is on or before today or the stage is at or past it. The year-end forecast
counts, besides those done, the ones whose planned date is still ahead (the bulletin's forecast also
drops projects with an overdue earlier step, which needs every milestone: it is the stricter figure).
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, not_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.colour import COLOURS
from services.console.queries import colour_of, scope
from services.console.tables import cases, escalation_events, project_changes, projects
from services.console.viewer import Viewer
from shared.contracts.case import FINISHED_STATES

STEPS = ("start", "completion", "production")
_ORDER = ("reserve", "negotiating", "signed", "started", "completed", "in_production", "at_capacity")
_STAGE_OF = {"start": "started", "completion": "completed", "production": "in_production"}


@dataclass(frozen=True)
class Rate:
    step: str
    planned: int
    done: int
    ahead: int  # planned later this year, not done yet, not overdue
    target_percent: int

    @property
    def percent(self) -> float | None:
        return 100 * self.done / self.planned if self.planned else None

    @property
    def forecast_percent(self) -> float | None:
        return 100 * (self.done + self.ahead) / self.planned if self.planned else None


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _planned(step: str, today: date) -> ColumnElement[bool]:
    column = projects.c[f"{step}_planned"]
    return and_(func.coalesce(projects.c.stage, "") != "cancelled", column >= date(today.year, 1, 1), column <= date(today.year, 12, 31))


def _done(step: str, today: date) -> ColumnElement[bool]:
    """Its actual date is on or before today, or the stage is at or past it (never NULL, so NOT works)."""
    actual, later = projects.c[f"{step}_actual"], _ORDER[_ORDER.index(_STAGE_OF[step]):]
    return (and_(actual.is_not(None), actual <= today)) | (and_(projects.c.stage.is_not(None), projects.c.stage.in_(later)))


def time_share(today: date) -> float:
    """序时进度: the share of the year elapsed at today, month by month (annual plan × elapsed months / 12)."""
    days = calendar.monthrange(today.year, today.month)[1]
    return (today.month - 1 + today.day / days) / 12


async def headline(session: AsyncSession, viewer: Viewer, today: date, targets: dict[str, int]) -> dict[str, Any]:
    """Projects, the three rates, this year's investment against the time curve and projects by colour, in two queries.
    A project whose newest ledger is last year's (December's, read in January) counts in none of this year's figures."""
    this_year = or_(projects.c.figures_year.is_(None), projects.c.figures_year == today.year)
    with_plan = and_(this_year, projects.c.annual_plan_fen.is_not(None))
    columns = [func.count().label("total"), func.coalesce(func.sum(case((with_plan, projects.c.annual_plan_fen), else_=0)), 0).label("plan"),
               func.coalesce(func.sum(case((with_plan, projects.c.investment_ytd_fen), else_=0)), 0).label("done")]
    for step in STEPS:
        planned, done = _planned(step, today), _done(step, today)
        columns += [_count(planned).label(f"{step}_planned"), _count(and_(planned, done)).label(f"{step}_done"),
                    _count(and_(planned, not_(done), projects.c[f"{step}_planned"] >= today)).label(f"{step}_ahead")]
    row = (await session.execute(select(*columns).where(*scope(viewer)))).one()._mapping
    colour = colour_of(today)
    counted = dict((await session.execute(select(colour, func.count()).where(*scope(viewer)).group_by(colour))).all())
    plan, done = int(row["plan"]), int(row["done"])
    return {
        "total": int(row["total"]),
        "rates": [Rate(s, int(row[f"{s}_planned"]), int(row[f"{s}_done"]), int(row[f"{s}_ahead"]), targets[s]) for s in STEPS],
        "investment": {"year": today.year, "plan_fen": plan, "done_fen": done, "percent": 100 * done / plan if plan else None,
                       "time_percent": 100 * time_share(today)},
        "colours": {c: int(counted.get(c, 0)) for c in COLOURS},
    }


def _open_cases(viewer: Viewer) -> list[ColumnElement[bool]]:
    where = [cases.c.county_code == viewer.county_code, cases.c.state.not_in(FINISHED_STATES)]
    if viewer.routed_only:
        where.append(cases.c.project_id.in_(select(projects.c.project_id).where(and_(*scope(viewer)))))
    return where


async def case_counts(session: AsyncSession, viewer: Viewer, today: date) -> dict[str, Any]:
    """Open cases: the total, the overdue, by level and by whoever must act."""
    where = _open_cases(viewer)
    total, overdue = (await session.execute(select(func.count(), _count(cases.c.due_on < today)).where(*where))).one()
    levels = await session.execute(select(cases.c.ladder_level, cases.c.level_name, func.count()).where(*where)
                                   .group_by(cases.c.ladder_level, cases.c.level_name).order_by(cases.c.ladder_level, cases.c.level_name))
    target = func.coalesce(cases.c.target_name, "—")
    departments = await session.execute(select(target, func.count().label("n")).where(*where).group_by(target)
                                        .order_by(func.count().desc(), target))
    return {"open_total": int(total), "overdue": int(overdue), "levels": [((lv, name), n) for lv, name, n in levels],
            "departments": [(name, n) for name, n in departments]}


async def rankings(session: AsyncSession, viewer: Viewer, key: str, today: date) -> list[dict[str, Any]]:
    """Per responsible unit or township: colours, green share, open and overdue cases, 征迁 signed share."""
    group, colour = func.coalesce(projects.c[key], "—"), colour_of(today)
    rows = await session.execute(select(group.label("name"), func.count().label("projects"),
                                        *(_count(colour == c).label(c) for c in COLOURS),
                                        func.coalesce(func.sum(projects.c.households_total), 0).label("households_total"),
                                        func.coalesce(func.sum(projects.c.households_signed), 0).label("households_signed"))
                                 .where(*scope(viewer)).group_by(group))
    counted = await session.execute(select(group, func.count(), _count(cases.c.due_on < today))
                                    .select_from(cases.join(projects, projects.c.project_id == cases.c.project_id))
                                    .where(*_open_cases(viewer), *scope(viewer)).group_by(group))
    open_by = {name: (int(n), int(late)) for name, n, late in counted}
    out = []
    for row in rows:
        g = {k: (int(v) if k != "name" else v) for k, v in row._mapping.items()}
        g["open_cases"], g["overdue"] = open_by.get(g["name"], (0, 0))
        g["green_share"] = 100 * g["green"] / g["projects"]
        g["signed_share"] = 100 * g["households_signed"] / g["households_total"] if g["households_total"] else None
        out.append(g)
    return sorted(out, key=lambda g: (-g["green_share"], g["red"], g["name"]))


async def changes_since(session: AsyncSession, viewer: Viewer, since: datetime) -> dict[str, Any]:
    """Updates by source system and escalation events by kind since `since`; a department counts only its projects."""
    routed = [] if not viewer.routed_only else [select(projects.c.project_id).where(*scope(viewer))]
    by_source = await session.execute(
        select(project_changes.c.source_system, func.count()).where(project_changes.c.county_code == viewer.county_code,
                                                                    project_changes.c.occurred_at >= since,
                                                                    *(project_changes.c.project_id.in_(r) for r in routed))
        .group_by(project_changes.c.source_system).order_by(func.count().desc()))
    kinds = await session.execute(
        select(escalation_events.c.kind, func.count()).where(escalation_events.c.county_code == viewer.county_code,
                                                             escalation_events.c.occurred_at >= since,
                                                             *(escalation_events.c.project_id.in_(r) for r in routed))
        .group_by(escalation_events.c.kind))
    return {"sources": [(s, n) for s, n in by_source], "escalations": dict(kinds.all())}
