"""What every writer of the read model does: skip events already applied, recolour touched projects."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.colour import both_colours
from services.console.tables import escalations, processed_events, project_routes, projects
from shared.contracts import Event
from shared.persistence import take_unprocessed

E = TypeVar("E", bound=Event)


async def unseen(session: AsyncSession, events: Sequence[E], now: datetime) -> list[E]:
    """Events not applied before (nor twice in this batch), in order; marked applied in the caller's transaction."""
    first = await take_unprocessed(session, processed_events, [str(e.event_id) for e in events], now)
    return [event for event, new in zip(events, first, strict=True) if new]


async def recolour(session: AsyncSession, project_ids: Iterable[str]) -> None:
    """Recompute both colour columns of the given projects from their open escalations."""
    ids = sorted(set(project_ids))
    if not ids:
        return
    found: dict[str, list[str]] = {pid: [] for pid in ids}
    rows = await session.execute(select(escalations.c.project_id, escalations.c.colour)
                                 .where(escalations.c.project_id.in_(ids), escalations.c.status == "open"))
    for project_id, colour in rows:
        found[project_id].append(colour)
    reported = await session.execute(select(projects.c.project_id, projects.c.snapshot).where(projects.c.project_id.in_(ids)))
    for project_id, snapshot in reported:
        fresh, stale = both_colours(found[project_id], (snapshot or {}).get("self_reported_colour"))
        await session.execute(update(projects).where(projects.c.project_id == project_id).values(colour_fresh=fresh, colour_stale=stale))


async def add_routes(session: AsyncSession, county_code: str, routes: set[tuple[str, str]]) -> None:
    """(project_id, department) pairs: a department sees the projects routed to it."""
    if not routes:
        return
    ids = {project_id for project_id, _ in routes}
    existing = await session.execute(select(project_routes.c.project_id, project_routes.c.department)
                                     .where(project_routes.c.project_id.in_(ids)))
    missing = routes - {(p, d) for p, d in existing}
    if missing:
        await session.execute(project_routes.insert(), [{"project_id": p, "department": d, "county_code": county_code}
                                                        for p, d in sorted(missing)])
