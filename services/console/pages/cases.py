"""The case queue (per department, per leader) and the actions of #4, each done by escalation under the person's token."""
from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from services.console.escalation_api import ACTIONS, EscalationError
from services.console.guard import same_site_path
from services.console.tables import cases as case_table
from services.console.tables import projects
from services.console.web import Console

FILTERS = ("state", "level", "target", "rule_id", "project_id", "due_before")


def case_view(body: dict[str, Any]) -> dict[str, Any]:
    """The case API's answer, flattened: the case's fields, plus its escalation and audit log when given."""
    case = dict(body.get("case", body))
    case.setdefault("escalation", body.get("escalation"))
    case.setdefault("actions", body.get("actions") or body.get("audit") or body.get("history") or [])
    case["case_id"] = str(case.get("case_id"))
    return case


def form_body(action: str, form: dict[str, str]) -> dict[str, Any]:
    """What each action's endpoint expects, from the page's form fields."""
    note = form.get("note", "")
    if action == "reply":
        return {"explanation": form.get("explanation", ""), "remedy_plan": form.get("remedy_plan", "")}
    if action == "review":
        return {"accepted": form.get("accepted") == "true", "note": note}
    if action == "exception":
        body = {"kind": form.get("kind", ""), "reason": form.get("reason", "")}
        return body | ({"blocking_department": form["blocking_department"]} if form.get("blocking_department") else {})
    if action == "exception/decision":
        return {"confirmed": form.get("confirmed") == "true", "note": note}
    return {"note": note}


async def _names(console: Console, county: str, project_ids: set[str]) -> dict[str, str | None]:
    if not project_ids:
        return {}
    async with console.sessions() as session:
        rows = await session.execute(select(projects.c.project_id, projects.c.name)
                                     .where(projects.c.county_code == county, projects.c.project_id.in_(project_ids)))
        return dict(rows.all())


def build(console: Console) -> APIRouter:
    router = APIRouter()

    @router.get("/cases")
    async def queue(request: Request) -> Response:
        viewer, today = console.viewer(request), console.today()
        params = {k: v for k, v in request.query_params.items() if k in FILTERS and v}
        if "target" not in params and viewer.queue_target and request.query_params.get("all") != "1":
            params["target"] = viewer.queue_target
        if request.query_params.get("week") == "1":
            params["due_before"] = (today + timedelta(days=7)).isoformat()
        found = [case_view(c) for c in await console.api.cases(viewer.token, **params)]
        names = await _names(console, viewer.county_code, {str(c.get("project_id")) for c in found})
        for c in found:
            c["project_name"] = c.get("project_name") or names.get(str(c.get("project_id")))
        found.sort(key=lambda c: (c.get("state") == "closed", c.get("due_on") or "9999", -(c.get("ladder_level") or 0)))
        async with console.sessions() as session:
            targets = sorted({r[0] for r in await session.execute(
                select(case_table.c.target_name).where(case_table.c.county_code == viewer.county_code,
                                                       case_table.c.target_name.is_not(None)).distinct())})
        return console.render(request, "cases.html", viewer, cases=found, params=params, targets=targets,
                              today_iso=today.isoformat())

    @router.get("/cases/{case_id}")
    async def case_page(request: Request, case_id: str) -> Response:
        viewer = console.viewer(request)
        case = case_view(await console.api.case(viewer.token, case_id))
        names = await _names(console, viewer.county_code, {str(case.get("project_id"))})
        case["project_name"] = case.get("project_name") or names.get(str(case.get("project_id")))
        return console.render(request, "case.html", viewer, c=case, today_iso=console.today().isoformat())

    @router.post("/cases/{case_id}/{action:path}")
    async def act(request: Request, case_id: str, action: str) -> Response:
        viewer = console.viewer(request)
        if action not in ACTIONS:
            raise HTTPException(404, "no such action")
        form = {k: str(v) for k, v in (await request.form()).items()}
        error = None
        try:
            await console.api.act(viewer.token, case_id, action, form_body(action, form))
        except EscalationError as failed:
            if failed.status >= 500:
                raise
            error = failed.detail
        back = form.get("back") or f"/cases/{case_id}"
        if request.headers.get("HX-Request"):
            case = case_view(await console.api.case(viewer.token, case_id))
            names = await _names(console, viewer.county_code, {str(case.get("project_id"))})
            case["project_name"] = case.get("project_name") or names.get(str(case.get("project_id")))
            return console.render(request, "_case_card.html", viewer, c=case, error=error, acted=error is None,
                                  today_iso=console.today().isoformat(), status_code=200)
        return RedirectResponse(same_site_path(back, "/cases"), status_code=303)

    return router
