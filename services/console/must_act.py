"""The overview's "must act" list: red and overdue cases, most urgent first, with who must act and by when; then the
overdue problems (问题) and assignments (交办事项), which escalation answers for under the person's own token.

Leaders and departments are listed apart: a leader's desk (L2 letters he signs) is not a department's queue.
Red means the case reached the leader's letter (L2 and up): a red finding opens there, and a finding that turns
red lifts its case there, so the cases table alone answers and the page reads project names for ten rows only.
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.coordination import assignment_is_mine, is_mine
from services.console.escalation_api import EscalationApi, EscalationError
from services.console.queries import scope
from services.console.tables import cases, escalations, projects
from services.console.viewer import Viewer
from services.console.words import reason_of
from shared.contracts.case import FINISHED_STATES

GROUPS = ("departments", "leaders")


def _where(viewer: Viewer, today: date) -> list[ColumnElement[bool]]:
    where = [cases.c.county_code == viewer.county_code, cases.c.state.not_in(FINISHED_STATES), or_(cases.c.due_on < today, cases.c.ladder_level >= 2)]
    if viewer.routed_only:
        where.append(cases.c.project_id.in_(select(projects.c.project_id).where(and_(*scope(viewer)))))
    return where


def _group(name: str) -> ColumnElement[bool]:
    leader = cases.c.target_kind == "leader"
    return leader if name == "leaders" else or_(cases.c.target_kind.is_(None), ~leader)


async def must_act(session: AsyncSession, viewer: Viewer, today: date, limit: int = 10) -> dict[str, dict[str, Any]]:
    """Per group: the total and the first `limit` items (overdue first, the most overdue on top; then by deadline and level)."""
    where, overdue_first = _where(viewer, today), case((cases.c.due_on < today, 0), else_=1)
    out: dict[str, dict[str, Any]] = {}
    for name in GROUPS:
        total = await session.scalar(select(func.count()).select_from(cases).where(*where, _group(name)))
        rows = await session.execute(
            select(cases.c.case_id, cases.c.escalation_id, cases.c.project_id, cases.c.rule_id, cases.c.ladder_level, cases.c.level_name,
                   cases.c.due_on, cases.c.due_provisional, cases.c.target_kind, cases.c.target_name, cases.c.state)
            .where(*where, _group(name))
            .order_by(overdue_first, cases.c.due_on.asc().nulls_last(), cases.c.ladder_level.desc(), cases.c.case_id).limit(limit))
        out[name] = {"total": total or 0, "items": [dict(r._mapping) for r in rows]}
    await _describe(session, [i for g in out.values() for i in g["items"]], today)
    return out


async def _describe(session: AsyncSession, items: list[dict[str, Any]], today: date) -> None:
    """The project's name and the one-line reason (the escalation's summary) of the few items shown."""
    if not items:
        return
    names = dict((await session.execute(select(projects.c.project_id, projects.c.name)
                                        .where(projects.c.project_id.in_({i["project_id"] for i in items})))).all())
    found = {r.escalation_id: r for r in await session.execute(
        select(escalations.c.escalation_id, escalations.c.summary, escalations.c.colour)
        .where(escalations.c.escalation_id.in_({i["escalation_id"] for i in items})))}
    for item in items:
        escalation = found.get(item["escalation_id"])
        item["name"] = names.get(item["project_id"])
        item["colour"] = escalation.colour if escalation else None
        item["reason"] = reason_of(escalation.summary) if escalation and escalation.summary else None
        item["days_overdue"] = (today - item["due_on"]).days if item["due_on"] and item["due_on"] < today else 0


async def overdue_coordination(api: EscalationApi, viewer: Viewer, today: date, limit: int = 10) -> dict[str, Any] | None:
    """Overdue problems and assignments (a department's or a leader's own; all for the office), the most overdue first.
    None when escalation cannot answer now: the rest of the overview still shows."""
    try:
        problems, more_problems = await api.problems(viewer.token, overdue=True)
        assignments, more_assignments = await api.assignments(viewer.token, overdue=True)
    except EscalationError:
        return None
    own = viewer.queue_target is not None
    items = [{"kind": "problem", "href": f"/problems/{p['problem_id']}", "who": p["target_name"], "due_on": p["due_on"],
              "name": p.get("project_name"), "text": f"【{p['category']}】{p['description']}", "level": p.get("level_name")}
             for p in problems if not own or is_mine(viewer, p)]
    items += [{"kind": "assignment", "href": f"/assignments?all=1#assignment-{a['assignment_id']}", "who": a["target_name"],
               "due_on": a["due_on"], "name": a["number"], "text": a["decision"], "level": None}
              for a in assignments if not own or assignment_is_mine(viewer, a) or is_mine(viewer, a)]
    for item in items:
        item["days_overdue"] = (today - date.fromisoformat(str(item["due_on"]))).days
    items.sort(key=lambda i: (-i["days_overdue"], i["kind"], i["who"] or ""))
    return {"total": len(items), "more": more_problems or more_assignments, "problems": sum(i["kind"] == "problem" for i in items), "items": items[:limit]}
