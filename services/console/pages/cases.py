"""The case queue (mine first, totals, pages of 25) and a case's page with its 交办函; every action is done by escalation
under the person's own token."""
from __future__ import annotations

import math
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from services.console.escalation_api import ACTIONS, EscalationError
from services.console.guard import same_site_path
from services.console.pages.referrals import in_rule_order, readable_referrals
from services.console.permissions import must_act
from services.console.tables import cases as case_table
from services.console.tables import escalations, projects
from services.console.viewer import Viewer
from services.console.web import Console
from services.console.words import reason_of, refusal
from shared.contracts.case import FINISHED_STATES

FILTERS = ("state", "level", "target", "rule_id", "project_id", "due_before")
PAGE_SIZE = 25


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


async def annotate(console: Console, viewer: Viewer, found: list[dict[str, Any]]) -> None:
    """Project names and the one-line reason (the escalation's summary after the project's name), from the read model."""
    project_ids = {str(c.get("project_id")) for c in found}
    escalation_ids = {str(c.get("escalation_id")) for c in found}
    async with console.sessions() as session:
        names = dict((await session.execute(select(projects.c.project_id, projects.c.name).where(
            projects.c.county_code == viewer.county_code, projects.c.project_id.in_(project_ids)))).all()) if project_ids else {}
        summaries = dict((await session.execute(select(escalations.c.escalation_id, escalations.c.summary).where(
            escalations.c.county_code == viewer.county_code, escalations.c.escalation_id.in_(escalation_ids)))).all()) if escalation_ids else {}
    for c in found:
        c["project_name"] = c.get("project_name") or names.get(str(c.get("project_id")))
        summary = summaries.get(str(c.get("escalation_id"))) or (c.get("escalation") or {}).get("summary")
        c["reason"] = reason_of(summary) if summary else None
        c["mine"] = must_act(viewer, c)


def urgency(case: dict[str, Any], today: date) -> tuple[Any, ...]:
    """Open before closed, overdue first, then the nearest deadline, then the highest level."""
    due = case.get("due_on") or "9999-12-31"
    return (case.get("state") in FINISHED_STATES, due >= today.isoformat(), due, -(case.get("ladder_level") or 0))


def build(console: Console) -> APIRouter:
    router = APIRouter()

    @router.get("/cases")
    async def queue(request: Request) -> Response:
        viewer, today = console.viewer(request), console.today()
        params = {k: v for k, v in request.query_params.items() if k in FILTERS and v}
        if request.query_params.get("week") == "1":
            params["due_before"] = (today + timedelta(days=7)).isoformat()
        everything = request.query_params.get("all") == "1" or not viewer.queue_target
        # The open cases unless a state is asked for: closed ones pile up over the years and no queue shows them.
        listing = await console.api.cases(viewer.token, **params, **({} if "state" in params else {"open": "true"}))
        found = [case_view(c) for c in listing.rows]
        for c in found:
            c["mine"] = must_act(viewer, c)
        mine = sum(c["mine"] for c in found)
        shown = found if everything else [c for c in found if c["mine"]]
        shown.sort(key=lambda c: (not c["mine"], *urgency(c, today)))
        pages = max(1, math.ceil(len(shown) / PAGE_SIZE))
        asked = request.query_params.get("page", "1")
        page = min(max(1, int(asked) if asked.isdigit() else 1), pages)
        page_rows = shown[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
        await annotate(console, viewer, page_rows)
        overdue = sum(1 for c in found if c.get("due_on") and c["due_on"] < today.isoformat() and c.get("state") not in FINISHED_STATES)
        async with console.sessions() as session:
            targets = sorted({r[0] for r in await session.execute(
                select(case_table.c.target_name).where(case_table.c.county_code == viewer.county_code,
                                                       case_table.c.target_name.is_not(None)).distinct())})
        keep = {k: v for k, v in request.query_params.items() if k != "page"}
        return console.render(request, "cases.html", viewer, cases=page_rows, params=params, targets=targets, everything=everything,
                              totals={"shown": len(shown), "visible": len(found), "mine": mine, "overdue": overdue},
                              cut=len(listing.rows) if listing.more else None,
                              page=page, pages=pages, keep=keep, today_iso=today.isoformat())

    async def one_case(request: Request, viewer: Viewer, case_id: str) -> dict[str, Any]:
        case = case_view(await console.api.case(viewer.token, case_id))
        await annotate(console, viewer, [case])
        return case

    @router.get("/cases/{case_id}")
    async def case_page(request: Request, case_id: str) -> Response:
        viewer = console.viewer(request)
        case = await one_case(request, viewer, case_id)
        found = await readable_referrals(console, viewer)
        referred = None if found is None else in_rule_order([r for r in found if str(r.get("escalation_id")) == str(case.get("escalation_id"))])
        return console.render(request, "case.html", viewer, c=case, today_iso=console.today().isoformat(), referred=referred)

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
            error = refusal(failed.status, console.lang(request))
        back = form.get("back") or f"/cases/{case_id}"
        if request.headers.get("HX-Request"):
            case = await one_case(request, viewer, case_id)
            return console.render(request, "_case_card.html", viewer, c=case, error=error, acted=error is None,
                                  today_iso=console.today().isoformat(), status_code=200)
        return RedirectResponse(same_site_path(back, "/cases"), status_code=303)

    return router
