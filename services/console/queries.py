"""Reads of the read model, always scoped to the viewer: their county, and for a department what was routed to it."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import ColumnElement, and_, case, false, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.tables import escalations, project_routes, projects
from services.console.viewer import Viewer

# 三个清单 as saved views of the list: the stages each one gathers.
VIEWS: dict[str, tuple[str, ...]] = {
    "reserve": ("reserve", "negotiating"),
    "to_start": ("signed",),
    "in_progress": ("started",),
}
FILTERS = ("stage", "nature", "township", "responsible_unit", "leader", "rule", "colour", "view", "q")
SORTS = {"name": projects.c.name, "stage": projects.c.stage, "township": projects.c.township,
         "responsible_unit": projects.c.responsible_unit, "leader": projects.c.leader,
         "total_investment": projects.c.total_investment_fen, "ytd": projects.c.investment_ytd_fen,
         "updated": projects.c.last_record_at}


def stale_cutoff(today: date) -> datetime:
    """No source record for more than a month before today's start (Beijing date, compared in UTC)."""
    return datetime.combine(today - relativedelta(months=1), time(), UTC)


def colour_of(today: date) -> ColumnElement[str]:
    """The colour as of today: the stale variant when the newest source record is over a month old."""
    cutoff = stale_cutoff(today)
    return case((or_(projects.c.last_record_at.is_(None), projects.c.last_record_at < cutoff), projects.c.colour_stale),
                else_=projects.c.colour_fresh).label("colour")


def scope(viewer: Viewer) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [projects.c.county_code == viewer.county_code]
    if viewer.routed_only:
        if not viewer.department:
            return [false()]
        routed = select(project_routes.c.project_id).where(project_routes.c.county_code == viewer.county_code,
                                                           project_routes.c.department == viewer.department)
        conditions.append(projects.c.project_id.in_(routed))
    return conditions


@dataclass(frozen=True)
class ListQuery:
    filters: dict[str, str] = field(default_factory=dict)
    sort: str = "name"
    descending: bool = False

    @classmethod
    def of(cls, params: dict[str, str]) -> ListQuery:
        sort = params.get("sort", "name")
        return cls({k: v for k, v in params.items() if k in FILTERS and v}, sort.lstrip("-") if sort.lstrip("-") in SORTS else "name",
                   sort.startswith("-"))


def _conditions(query: ListQuery, today: date) -> list[ColumnElement[bool]]:
    f, out = query.filters, []
    for name in ("stage", "nature", "township", "responsible_unit", "leader"):
        if name in f:
            out.append(projects.c[name] == f[name])
    if "view" in f and f["view"] in VIEWS:
        out.append(projects.c.stage.in_(VIEWS[f["view"]]))
    if "colour" in f:
        out.append(colour_of(today) == f["colour"])
    if "rule" in f:
        out.append(projects.c.project_id.in_(select(escalations.c.project_id)
                                             .where(escalations.c.rule_id == f["rule"], escalations.c.status == "open")))
    if "q" in f:
        like = f"%{f['q']}%"
        out.append(or_(projects.c.name.like(like), projects.c.project_code.like(like)))
    return out


LIST_COLUMNS = (projects.c.project_id, projects.c.project_code, projects.c.name, projects.c.stage, projects.c.nature,
                projects.c.township, projects.c.responsible_unit, projects.c.leader, projects.c.total_investment_fen,
                projects.c.annual_plan_fen, projects.c.investment_ytd_fen, projects.c.figures_year, projects.c.last_record_at)


async def list_projects(session: AsyncSession, viewer: Viewer, query: ListQuery, today: date,
                        limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
    order = SORTS[query.sort].desc() if query.descending else SORTS[query.sort].asc()
    statement = (select(*LIST_COLUMNS, colour_of(today)).where(and_(*scope(viewer), *_conditions(query, today)))
                 .order_by(order.nulls_last(), projects.c.project_id))
    if limit:
        statement = statement.limit(limit).offset(offset)
    return [dict(row._mapping) for row in await session.execute(statement)]


async def count_projects(session: AsyncSession, viewer: Viewer, query: ListQuery, today: date) -> int:
    statement = select(func.count()).select_from(projects).where(and_(*scope(viewer), *_conditions(query, today)))
    return int(await session.scalar(statement) or 0)


async def filter_choices(session: AsyncSession, viewer: Viewer) -> dict[str, list[str]]:
    """The values each filter offers: what this viewer's projects actually carry."""
    choices: dict[str, list[str]] = {}
    for name in ("stage", "nature", "township", "responsible_unit", "leader"):
        rows = await session.execute(select(projects.c[name]).where(*scope(viewer), projects.c[name].is_not(None)).distinct())
        choices[name] = sorted(r[0] for r in rows)
    rules = await session.execute(select(escalations.c.rule_id).where(escalations.c.county_code == viewer.county_code).distinct())
    choices["rule"] = sorted(r[0] for r in rules)
    return choices


async def project(session: AsyncSession, viewer: Viewer, project_id: str, today: date) -> dict[str, Any] | None:
    row = (await session.execute(select(projects, colour_of(today)).where(*scope(viewer), projects.c.project_id == project_id))).first()
    return dict(row._mapping) if row else None
