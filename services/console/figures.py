"""The overview's and the rankings' figures, computed from one scoped read of the projects.

The bulletin (services/escalation/bulletin/rates.py) computes from escalation's ProjectFacts; building
those for 2,000 snapshots per page view would cost more than the page's whole budget, so the same
definitions are applied here to the read model's columns: rate = done ÷ planned, where planned means
the milestone (开工/竣工/投产) is planned within the year and the project is not cancelled, and done
means its actual date is on or before today or the stage is at or past it. The year-end forecast
counts, besides those done, the ones whose planned date is still ahead (the bulletin's forecast also
drops projects with an overdue earlier step, which needs every milestone: it is the stricter figure).
"""
from __future__ import annotations

import calendar
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.colour import COLOURS
from services.console.queries import colour_of, scope
from services.console.tables import cases, escalation_events, project_changes, projects
from services.console.viewer import Viewer

STEPS = ("start", "completion", "production")


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


_ORDER = ("reserve", "negotiating", "signed", "started", "completed", "in_production", "at_capacity")
_STAGE_OF = {"start": "started", "completion": "completed", "production": "in_production"}


def done(row: dict[str, Any], step: str, today: date) -> bool:
    actual, stage = row[f"{step}_actual"], row["stage"]
    return bool(actual and actual <= today) or (stage in _ORDER and _ORDER.index(stage) >= _ORDER.index(_STAGE_OF[step]))


def rate(rows: list[dict[str, Any]], step: str, today: date, target: int) -> Rate:
    planned = [r for r in rows if r["stage"] != "cancelled" and r[f"{step}_planned"] and r[f"{step}_planned"].year == today.year]
    finished = [r for r in planned if done(r, step, today)]
    ahead = [r for r in planned if not done(r, step, today) and r[f"{step}_planned"] >= today]
    return Rate(step, len(planned), len(finished), len(ahead), target)


def time_share(today: date) -> float:
    """序时进度: the share of the year elapsed at today, month by month (annual plan × elapsed months / 12)."""
    days = calendar.monthrange(today.year, today.month)[1]
    return (today.month - 1 + today.day / days) / 12


async def scoped_rows(session: AsyncSession, viewer: Viewer, today: date) -> list[dict[str, Any]]:
    columns = [projects.c.project_id, projects.c.stage, projects.c.township, projects.c.responsible_unit, projects.c.annual_plan_fen,
               projects.c.investment_ytd_fen, projects.c.households_total, projects.c.households_signed,
               *(projects.c[f"{s}_{k}"] for s in STEPS for k in ("planned", "actual")), colour_of(today)]
    return [dict(r._mapping) for r in await session.execute(select(*columns).where(*scope(viewer)))]


async def open_cases(session: AsyncSession, viewer: Viewer) -> list[dict[str, Any]]:
    statement = select(cases.c.ladder_level, cases.c.level_name, cases.c.target_name, cases.c.due_on, cases.c.project_id).where(
        cases.c.county_code == viewer.county_code, cases.c.state != "closed")
    if viewer.routed_only:
        statement = statement.where(cases.c.project_id.in_(select(projects.c.project_id).where(and_(*scope(viewer)))))
    return [dict(r._mapping) for r in await session.execute(statement)]


def investment(rows: list[dict[str, Any]], today: date) -> dict[str, Any]:
    plan = sum(r["annual_plan_fen"] or 0 for r in rows)
    done = sum(r["investment_ytd_fen"] or 0 for r in rows if r["annual_plan_fen"])
    return {"plan_fen": plan, "done_fen": done, "percent": 100 * done / plan if plan else None,
            "time_percent": 100 * time_share(today)}


def by_colour(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts = Counter(r["colour"] for r in rows)
    return {c: counts.get(c, 0) for c in COLOURS}


def rankings(rows: list[dict[str, Any]], case_rows: list[dict[str, Any]], key: str, today: date) -> list[dict[str, Any]]:
    """Per responsible unit or township: colours, green share, open and overdue cases, 征迁 signed share."""
    groups: dict[str, dict[str, Any]] = defaultdict(lambda: {"projects": 0, **dict.fromkeys(COLOURS, 0), "open_cases": 0,
                                                             "overdue": 0, "households_total": 0, "households_signed": 0})
    where = {r["project_id"]: r[key] or "—" for r in rows}
    for r in rows:
        g = groups[where[r["project_id"]]]
        g["projects"] += 1
        g[r["colour"]] += 1
        g["households_total"] += r["households_total"] or 0
        g["households_signed"] += r["households_signed"] or 0
    for c in case_rows:
        if c["project_id"] in where:
            g = groups[where[c["project_id"]]]
            g["open_cases"] += 1
            g["overdue"] += bool(c["due_on"] and c["due_on"] < today)
    out = []
    for name, g in groups.items():
        g["name"] = name
        g["green_share"] = 100 * g["green"] / g["projects"]
        g["signed_share"] = 100 * g["households_signed"] / g["households_total"] if g["households_total"] else None
        out.append(g)
    return sorted(out, key=lambda g: (-g["green_share"], g["red"], g["name"]))


async def changes_since(session: AsyncSession, viewer: Viewer, since: datetime) -> dict[str, Any]:
    in_scope = select(projects.c.project_id).where(*scope(viewer))
    by_source = await session.execute(
        select(project_changes.c.source_system, func.count()).where(project_changes.c.county_code == viewer.county_code,
                                                                    project_changes.c.occurred_at >= since,
                                                                    project_changes.c.project_id.in_(in_scope))
        .group_by(project_changes.c.source_system).order_by(func.count().desc()))
    kinds = await session.execute(
        select(escalation_events.c.kind, func.count()).where(escalation_events.c.county_code == viewer.county_code,
                                                             escalation_events.c.occurred_at >= since,
                                                             escalation_events.c.project_id.in_(in_scope))
        .group_by(escalation_events.c.kind))
    return {"sources": [(s, n) for s, n in by_source], "escalations": dict(kinds.all())}
