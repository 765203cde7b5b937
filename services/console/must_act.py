"""The overview's "must act" list: red and overdue cases, most urgent first, with who must act and by when.

Leaders and departments are listed apart: a leader's desk (L2 letters he signs) is not a department's queue.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.queries import scope
from services.console.tables import cases, escalations, projects
from services.console.viewer import Viewer
from services.console.words import reason_of

GROUPS = ("departments", "leaders")


def _urgent(today: date) -> ColumnElement[bool]:
    """Open, and overdue or red (the finding is red, or the case reached the leader's letter)."""
    return and_(cases.c.state != "closed", or_(cases.c.due_on < today, escalations.c.colour == "red", cases.c.ladder_level >= 2))


def _group(name: str) -> ColumnElement[bool]:
    leader = cases.c.target_kind == "leader"
    return leader if name == "leaders" else or_(cases.c.target_kind.is_(None), ~leader)


async def must_act(session: AsyncSession, viewer: Viewer, today: date, limit: int = 10) -> dict[str, dict[str, Any]]:
    """Per group: the total and the first `limit` items (overdue first, the most overdue on top; then by level and deadline)."""
    joined = (cases.join(projects, projects.c.project_id == cases.c.project_id)
              .outerjoin(escalations, escalations.c.escalation_id == cases.c.escalation_id))
    where = [cases.c.county_code == viewer.county_code, *scope(viewer), _urgent(today)]
    overdue_first = case((cases.c.due_on < today, 0), else_=1)
    out: dict[str, dict[str, Any]] = {}
    for name in GROUPS:
        total = await session.scalar(select(func.count()).select_from(joined).where(*where, _group(name)))
        rows = await session.execute(
            select(cases.c.case_id, cases.c.project_id, cases.c.rule_id, cases.c.ladder_level, cases.c.level_name, cases.c.due_on,
                   cases.c.due_provisional, cases.c.target_kind, cases.c.target_name, cases.c.state, projects.c.name,
                   escalations.c.summary, escalations.c.colour)
            .select_from(joined).where(*where, _group(name))
            .order_by(overdue_first, cases.c.due_on.asc().nulls_last(), cases.c.ladder_level.desc(), cases.c.case_id).limit(limit))
        items = []
        for row in rows:
            item = dict(row._mapping)
            item["reason"] = reason_of(item["summary"]) if item["summary"] else None
            item["days_overdue"] = (today - item["due_on"]).days if item["due_on"] and item["due_on"] < today else 0
            items.append(item)
        out[name] = {"total": total or 0, "items": items}
    return out
