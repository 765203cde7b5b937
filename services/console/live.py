"""The live panel: the newest escalation and case events this viewer may see, read from the shared read model.

Pages poll it (htmx `every Ns`): any replica answers from the database, so nothing depends on the
replica whose consumer happened to write the event.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.queries import scope
from services.console.tables import case_events, escalation_events, projects
from services.console.viewer import Viewer


async def newest(session: AsyncSession, viewer: Viewer, limit: int = 10) -> list[dict[str, Any]]:
    in_scope = select(projects.c.project_id).where(*scope(viewer))
    esc = select(literal("escalation").label("source"), escalation_events.c.kind.label("what"), escalation_events.c.level,
                 escalation_events.c.summary, escalation_events.c.project_id, escalation_events.c.recorded_at,
                 escalation_events.c.occurred_at).where(escalation_events.c.county_code == viewer.county_code,
                                                        escalation_events.c.project_id.in_(in_scope))
    case = select(literal("case").label("source"), case_events.c.action.label("what"), case_events.c.ladder_level.label("level"),
                  case_events.c.summary, case_events.c.project_id, case_events.c.recorded_at,
                  case_events.c.occurred_at).where(case_events.c.county_code == viewer.county_code,
                                                   case_events.c.project_id.in_(in_scope))
    both = union_all(esc, case).subquery()
    rows = await session.execute(select(both, projects.c.name).join(projects, projects.c.project_id == both.c.project_id)
                                 .order_by(both.c.recorded_at.desc(), both.c.occurred_at.desc()).limit(limit))
    return [dict(r._mapping) for r in rows]
