"""Meetings (联席会议, 调度会, 专题会): the list and the office's form to schedule one; a meeting's page with its drafted
agenda (reorder, remove), a decision per item, the minutes (issued, and downloaded through the console under the
person's token) and the assignments it made. Escalation does and audits every step."""
from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from services.console.coordination import may_run_meetings
from services.console.escalation_api import EscalationError
from services.console.pages.assignments import annotate
from services.console.pages.problems import coordination_refusal
from services.console.tables import projects
from services.console.viewer import Viewer
from services.console.web import Console

KINDS = ("joint", "scheduling", "topic")
SEPARATORS = re.compile(r"[、，,;；\s]+")
DOCUMENTS = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "html": "text/html; charset=utf-8"}


def names(text: str | None) -> list[str]:
    """A list typed as 自然资源局、住建局 (or with commas), each name once, in order."""
    return list(dict.fromkeys(n for n in SEPARATORS.split(text or "") if n))


def reordered(agenda: list[dict[str, Any]], item_id: str, op: str) -> list[str]:
    """The agenda's item ids after moving one up or down, or removing it."""
    order = [i["item_id"] for i in agenda]
    if item_id not in order:
        return order
    at = order.index(item_id)
    if op == "remove":
        return order[:at] + order[at + 1:]
    to = at - 1 if op == "up" else at + 1 if op == "down" else at
    if 0 <= to < len(order):
        order[at], order[to] = order[to], order[at]
    return order


async def unit_names(console: Console, viewer: Viewer) -> dict[str, list[str]]:
    """Departments and leaders the county's projects name: suggestions for the forms (anything else may be typed)."""
    async with console.sessions() as session:
        rows = (await session.execute(select(projects.c.lead_department, projects.c.responsible_unit, projects.c.leader)
                                      .where(projects.c.county_code == viewer.county_code).distinct())).all()
    return {"departments": sorted({n for lead, unit, _ in rows for n in (lead, unit) if n}), "leaders": sorted({leader for *_, leader in rows if leader})}


def build(console: Console) -> APIRouter:
    router = APIRouter()

    @router.get("/meetings")
    async def meeting_list(request: Request) -> Response:
        viewer = console.viewer(request)
        found = await console.api.meetings(viewer.token)
        return console.render(request, "meetings.html", viewer, meetings=found, kinds=KINDS, office=may_run_meetings(viewer),
                              units=await unit_names(console, viewer) if may_run_meetings(viewer) else {})

    @router.post("/meetings")
    async def schedule(request: Request) -> Response:
        viewer = console.viewer(request)
        form = {k: str(v) for k, v in (await request.form()).items()}
        attendees = [{"kind": "department", "name": n} for n in names(form.get("departments"))]
        attendees += [{"kind": "leader", "name": n} for n in names(form.get("leaders"))]
        body = {"kind": form.get("kind", ""), "title": form.get("title", "").strip(), "held_on": form.get("held_on", ""),
                "chair": form.get("chair", "").strip(), "attendees": attendees}
        try:
            made = await console.api.schedule_meeting(viewer.token, body)
        except EscalationError as failed:
            if failed.status >= 500:
                raise
            return console.render(request, "error.html", viewer, status_code=failed.status, status=failed.status,
                                  message=coordination_refusal(failed, console.lang(request)))
        return RedirectResponse(f"/meetings/{made['meeting']['meeting_id']}", status_code=303)

    async def render_meeting(request: Request, viewer: Viewer, meeting_id: str, template: str, **extra: Any) -> Response:
        body = await console.api.meeting(viewer.token, meeting_id)
        meeting, today = body["meeting"], console.today()
        found = body.get("assignments") or []
        decided = {a["item_id"]: a for a in found}
        await annotate(console, viewer, found)
        async with console.sessions() as session:
            project_ids = {i.get("project_id") for i in meeting["agenda"]} | {a.get("project_id") for a in found}
            project_ids.discard(None)
            named = dict((await session.execute(select(projects.c.project_id, projects.c.name).where(
                projects.c.county_code == viewer.county_code, projects.c.project_id.in_(project_ids)))).all()) if project_ids else {}
        office = may_run_meetings(viewer)
        return console.render(request, template, viewer, m=meeting, assignments=found, decided=decided, project_names=named,
                              office=office, units=await unit_names(console, viewer) if office else {}, today_iso=today.isoformat(),
                              history=body.get("actions") or [], **extra)

    @router.get("/meetings/{meeting_id}")
    async def meeting_page(request: Request, meeting_id: str) -> Response:
        return await render_meeting(request, console.viewer(request), meeting_id, "meeting.html")

    @router.get("/meetings/{meeting_id}/minutes.{fmt}")
    async def minutes_document(request: Request, meeting_id: str, fmt: str) -> Response:
        """The minutes as escalation renders them, fetched with the person's own token (never a link to escalation)."""
        viewer = console.viewer(request)
        if fmt not in DOCUMENTS:
            raise HTTPException(404, "no such document")
        document = await console.api.minutes(viewer.token, meeting_id, fmt)
        headers = {"Content-Disposition": f"attachment; filename=minutes-{meeting_id}.docx"} if fmt == "docx" else {}
        return Response(document.content, media_type=DOCUMENTS[fmt], headers=headers)

    @router.post("/meetings/{meeting_id}/{action}")
    async def act(request: Request, meeting_id: str, action: str) -> Response:
        viewer = console.viewer(request)
        form = {k: str(v) for k, v in (await request.form()).items()}
        if action == "agenda":
            meeting = (await console.api.meeting(viewer.token, meeting_id))["meeting"]
            body: dict[str, Any] | None = {"order": reordered(meeting["agenda"], form.get("item_id", ""), form.get("op", ""))}
        elif action == "decisions":
            body = {"item_id": form.get("item_id", ""), "decision": form.get("decision", "").strip(),
                    "handler_department": form.get("handler_department", "").strip(), "co_departments": names(form.get("co_departments")),
                    "deadline": form.get("deadline", ""), "follow_up_leader": form.get("follow_up_leader", "").strip()}
        elif action == "minutes":
            body = None
        else:
            raise HTTPException(404, "no such action")
        error = None
        try:
            await console.api.act_on_meeting(viewer.token, meeting_id, action, body)
        except EscalationError as failed:
            if failed.status >= 500:
                raise
            error = coordination_refusal(failed, console.lang(request))
        if request.headers.get("HX-Request"):
            return await render_meeting(request, viewer, meeting_id, "_meeting.html", error=error, acted=error is None)
        return RedirectResponse(f"/meetings/{meeting_id}", status_code=303)

    return router

