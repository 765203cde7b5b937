"""What every writer of the read model does: skip events already applied, recolour touched projects."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TypeVar

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.colour import both_colours
from services.console.tables import escalations, processed_events, project_routes, projects
from shared.contracts import Event
from shared.persistence import inserting, take_unprocessed

E = TypeVar("E", bound=Event)


async def unseen(session: AsyncSession, events: Sequence[E], now: datetime) -> list[E]:
    """Events not applied before (nor twice in this batch), in order; marked applied in the caller's transaction."""
    first = await take_unprocessed(session, processed_events, [str(e.event_id) for e in events], now)
    return [event for event, new in zip(events, first, strict=True) if new]


# Built once, run for a batch's projects together (executemany): a statement built per project cost more than the row.
RECOLOUR = update(projects).where(projects.c.project_id == bindparam("pid")).values(
    colour_fresh=bindparam("fresh"), colour_stale=bindparam("stale"))
SELF_REPORTED = projects.c.snapshot["self_reported_colour"].as_string()  # the one field read: not the whole snapshot
OPEN_COLOURS = select(escalations.c.project_id, escalations.c.colour).where(
    escalations.c.project_id.in_(bindparam("ids", expanding=True)), escalations.c.status == "open")
REPORTED_COLOURS = select(projects.c.project_id, SELF_REPORTED).where(projects.c.project_id.in_(bindparam("ids", expanding=True)))
ROUTES_OF = select(project_routes.c.project_id, project_routes.c.department).where(
    project_routes.c.project_id.in_(bindparam("ids", expanding=True)))


async def recolour(session: AsyncSession, project_ids: Iterable[str]) -> None:
    """Recompute both colour columns of the given projects from their open escalations."""
    ids = sorted(set(project_ids))
    if not ids:
        return
    found: dict[str, list[str]] = {pid: [] for pid in ids}
    rows = await session.execute(OPEN_COLOURS, {"ids": ids})
    for project_id, colour in rows:
        found[project_id].append(colour)
    reported = await session.execute(REPORTED_COLOURS, {"ids": ids})
    colours = [{"pid": project_id, **dict(zip(("fresh", "stale"), both_colours(found[project_id], self_reported), strict=True))}
               for project_id, self_reported in reported]
    if colours:
        await session.execute(RECOLOUR, colours)


async def add_routes(session: AsyncSession, county_code: str, routes: set[tuple[str, str]]) -> None:
    """(project_id, department) pairs: a department sees the projects routed to it."""
    if not routes:
        return
    ids = {project_id for project_id, _ in routes}
    existing = await session.execute(ROUTES_OF, {"ids": list(ids)})
    missing = routes - {(p, d) for p, d in existing}
    if missing:
        await session.execute(inserting(project_routes), [{"project_id": p, "department": d, "county_code": county_code}
                                                        for p, d in sorted(missing)])
