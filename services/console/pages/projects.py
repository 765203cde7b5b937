"""The project list (filters, sort, the three lists, XLSX export) and a project's page."""
from __future__ import annotations

import io
import math
from datetime import date
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response, StreamingResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from sqlalchemy.ext.asyncio import AsyncSession

from services.console import detail, queries
from services.console.catalog import translator
from services.console.escalation_api import EscalationError
from services.console.pages import problems as problem_pages
from services.console.pages.referrals import in_rule_order, readable_referrals
from services.console.viewer import Viewer
from services.console.web import Console
from shared.exports import xlsx_row
from shared.wording import WAN_FEN

PAGE_SIZE = 50  # a page a phone scrolls through; the export has every row
EXPORT_COLUMNS = ("code", "name", "stage", "nature", "township", "responsible_unit", "leader", "colour",
                  "total_investment", "annual_plan", "ytd", "figures_year")


def wan_number(sheet: Any, fen: int | None) -> WriteOnlyCell | None:
    """Money as a number of 万元 (so the column sums), shown with separators and two places."""
    if fen is None:
        return None
    cell = WriteOnlyCell(sheet, Decimal(fen) / WAN_FEN)
    cell.number_format = "#,##0.00"
    return cell


COLOUR_ORDER = {"red": 0, "yellow": 1, "green": 2, "grey": 3, "clear": 4}


def asked_day(value: str | None, today: date) -> date:
    try:
        return date.fromisoformat(value) if value else today
    except ValueError:
        return today


async def as_of(console: Console, viewer: Viewer, project_id: str, day: date) -> dict[str, Any]:
    """Every rule's result for the project on `day`, found ones first; `missing` when escalation knew nothing of it by then,
    `unavailable` when escalation cannot answer now (the rest of the page still shows)."""
    try:
        view = await console.api.project_as_of(viewer.county_code, project_id, day.isoformat())
    except EscalationError as failed:
        return {"day": day, "missing": failed.status == 404, "unavailable": failed.status != 404}
    view["rules"] = sorted(view.get("rules") or [], key=lambda r: (COLOUR_ORDER.get(r.get("colour"), 5), -(r.get("level") or 0)))
    return {"day": day, "view": view}


async def coordination(console: Console, viewer: Viewer, project_id: str) -> dict[str, Any]:
    """The project's problems and referrals as escalation shows them to this person (None: cannot be read now)."""
    try:
        found = [problem_pages.describe(viewer, p, console.today()) for p in (await console.api.problems(viewer.token, project_id=project_id)).rows]
    except EscalationError as failed:
        if failed.status == 401:
            raise
        found = None
    referred = await readable_referrals(console, viewer)
    return {"problems": found, "referrals": None if referred is None else
            in_rule_order([r for r in referred if str(r.get("project_id")) == project_id])}


async def _in_scope(session: AsyncSession, viewer: Viewer, project_id: str, today: date) -> None:
    """A project section is served only for a project in the person's scope; any other is 404."""
    if await queries.project(session, viewer, project_id, today) is None:
        raise HTTPException(404, "no such project in your scope")


def build(console: Console) -> APIRouter:
    router = APIRouter()

    @router.get("/projects")
    async def project_list(request: Request) -> Response:
        viewer, today = console.viewer(request), console.today()
        query = queries.ListQuery.of(dict(request.query_params))
        asked = request.query_params.get("page", "1")
        async with console.sessions() as session:
            total = await queries.count_projects(session, viewer, query, today)
            pages = max(1, math.ceil(total / PAGE_SIZE))
            page = min(max(1, int(asked) if asked.isdigit() else 1), pages)
            rows = await queries.list_projects(session, viewer, query, today, PAGE_SIZE, (page - 1) * PAGE_SIZE)
            choices = await queries.filter_choices(session, viewer)
        keep = {k: v for k, v in request.query_params.items() if k != "page"}
        return console.render(request, "projects.html", viewer, rows=rows, total=total, page=page, pages=pages, keep=keep,
                              query=query, choices=choices, views=list(queries.VIEWS), this_year=today.year,
                              export_query=urlencode(keep))

    @router.get("/projects.xlsx")
    async def export(request: Request) -> Response:
        viewer, today = console.viewer(request), console.today()
        t = translator(console.lang(request))
        async with console.sessions() as session:
            rows = await queries.list_projects(session, viewer, queries.ListQuery.of(dict(request.query_params)), today)
        book = Workbook(write_only=True)
        sheet = book.create_sheet(t("projects"))
        sheet.append([t(c) for c in EXPORT_COLUMNS])
        for r in rows:
            text = xlsx_row(sheet, [r["project_code"], r["name"], t(r["stage"]) if r["stage"] else None, t(r["nature"]) if r["nature"] else None,
                                    r["township"], r["responsible_unit"], r["leader"], t(r["colour"])])  # county text: never a formula
            sheet.append([*text, *(wan_number(sheet, r[k]) for k in ("total_investment_fen", "annual_plan_fen", "investment_ytd_fen")),
                          r["figures_year"]])
        buffer = io.BytesIO()
        book.save(buffer)
        buffer.seek(0)
        name = f"projects-{viewer.county_code}-{today.isoformat()}.xlsx"
        return StreamingResponse(buffer, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                 headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @router.get("/projects/{project_id}")
    async def project_page(request: Request, project_id: str) -> Response:
        viewer, today = console.viewer(request), console.today()
        async with console.sessions() as session:
            row = await queries.project(session, viewer, project_id, today)
            if row is None:
                raise HTTPException(404, "no such project in your scope")
            alerts = await detail.alerts(session, project_id)
            changes = await detail.change_log(session, project_id)
        snap = row["snapshot"]
        day = asked_day(request.query_params.get("as_of"), today)
        return console.render(request, "project.html", viewer, p=row, snap=snap, alerts=alerts, changes=changes,
                              asof=await as_of(console, viewer, project_id, day), **await coordination(console, viewer, project_id),
                              timeline=detail.timeline(snap.get("milestones") or []),
                              ledger=detail.ledger_months(snap),
                              expropriation=detail.expropriation_by_week(snap.get("expropriation") or []))

    @router.get("/projects/{project_id}/as-of")
    async def project_as_of(request: Request, project_id: str) -> Response:
        """The as-of section alone, for the date form (htmx); the project must be in the person's scope."""
        viewer, today = console.viewer(request), console.today()
        async with console.sessions() as session:
            await _in_scope(session, viewer, project_id, today)
        day = asked_day(request.query_params.get("as_of"), today)
        return console.render(request, "_as_of.html", viewer, asof=await as_of(console, viewer, project_id, day), project_id=project_id)

    @router.get("/projects/{project_id}/alerts")
    async def project_alerts(request: Request, project_id: str) -> Response:
        """The escalations section alone: the project page polls it, so a new one appears without reloading."""
        viewer, today = console.viewer(request), console.today()
        async with console.sessions() as session:
            await _in_scope(session, viewer, project_id, today)
            alerts = await detail.alerts(session, project_id)
        return console.render(request, "_alerts.html", viewer, alerts=alerts, project_id=project_id)

    return router
