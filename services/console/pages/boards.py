"""Rankings (红黑榜), idle land, the monthly bulletins, and the live panel every page polls."""
from __future__ import annotations

import math
from datetime import date
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import func, select

from services.console import figures, live
from services.console.escalation_api import EscalationError
from services.console.queries import scope
from services.console.tables import bulletins, cases, escalations, projects
from services.console.web import Console

PAGE_SIZE = 50
MEDIA = {"html": "text/html; charset=utf-8", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


def idle_row(row: dict[str, Any], today: date) -> dict[str, Any]:
    """Days to / since idle and the track (warning, idle fee, reclamation) from an R1 escalation's evidence."""
    ev = row["evidence"]
    out = {**row, "parcel": row["subject"].removeprefix("parcel:"), "days_to_idle": None, "days_idle": None,
           "track": "reclaim_track" if row["level"] >= 4 else "fee_track" if row["level"] >= 3 else "warning_track",
           "fee_fen": int(ev["idle_fee_fen"]) if ev.get("idle_fee_fen") else None}
    if ev.get("idle_since"):
        out["days_idle"] = (today - date.fromisoformat(ev["idle_since"])).days + 1
    elif ev.get("idle_period_end"):
        out["days_to_idle"] = (date.fromisoformat(ev["idle_period_end"]) - today).days + 1
    return out


def build(console: Console) -> APIRouter:
    router = APIRouter()

    @router.get("/rankings")
    async def rankings(request: Request) -> Response:
        viewer, today = console.viewer(request), console.today()
        async with console.sessions() as session:
            units = await figures.rankings(session, viewer, "responsible_unit", today)
            towns = await figures.rankings(session, viewer, "township", today)
        expro = sorted((t for t in towns if t["signed_share"] is not None), key=lambda t: -t["signed_share"])
        return console.render(request, "rankings.html", viewer, units=units, towns=towns, expro=expro,
                              black=sorted(units, key=lambda g: (-g["red"], -g["overdue"], g["name"]))[:5])

    @router.get("/idle-land")
    async def idle_land(request: Request) -> Response:
        viewer, today = console.viewer(request), console.today()
        where = [*scope(viewer), escalations.c.status == "open", escalations.c.rule_id == "R1.idle_land"]  # started_but_idle: several parcels, not one
        joined = escalations.join(projects, projects.c.project_id == escalations.c.project_id)
        asked = request.query_params.get("page", "1")
        async with console.sessions() as session:
            total = int(await session.scalar(select(func.count()).select_from(joined).where(*where)) or 0)
            pages = max(1, math.ceil(total / PAGE_SIZE))
            page = min(max(1, int(asked) if asked.isdigit() else 1), pages)
            rows = await session.execute(
                select(escalations, projects.c.name, cases.c.state.label("case_state"), cases.c.due_on)
                .select_from(joined.outerjoin(cases, cases.c.escalation_id == escalations.c.escalation_id))
                .where(*where).order_by(escalations.c.level.desc(), escalations.c.as_of, escalations.c.escalation_id)
                .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE))
            parcels = [idle_row(dict(r._mapping), today) for r in rows]
        return console.render(request, "idle.html", viewer, parcels=parcels, total=total, page=page, pages=pages, keep={})

    @router.get("/bulletins")
    async def bulletin_list(request: Request) -> Response:
        viewer = console.viewer(request)
        async with console.sessions() as session:
            rows = [dict(r._mapping) for r in await session.execute(
                select(bulletins).where(bulletins.c.county_code == viewer.county_code).order_by(bulletins.c.month.desc(),
                                                                                                 bulletins.c.published_at.desc()))]
        return console.render(request, "bulletins.html", viewer, bulletins=rows)

    @router.get("/bulletins/{month}.{fmt}")
    async def bulletin(request: Request, month: str, fmt: str) -> Response:
        viewer = console.viewer(request)
        if fmt not in MEDIA or len(month) != 7:
            raise HTTPException(404, "no such document")
        try:
            document = await console.api.bulletin(viewer.county_code, month, fmt)
        except EscalationError as error:
            raise HTTPException(404 if error.status == 404 else 502, "bulletin not available") from error
        headers = {} if fmt == "html" else {"Content-Disposition": f'attachment; filename="bulletin-{viewer.county_code}-{month}.{fmt}"'}
        return Response(document.content, media_type=MEDIA[fmt], headers=headers)

    @router.get("/live")
    async def live_panel(request: Request) -> Response:
        viewer = console.viewer(request)
        async with console.sessions() as session:
            items = await live.newest(session, viewer)
        return console.render(request, "_live.html", viewer, items=items)

    return router
