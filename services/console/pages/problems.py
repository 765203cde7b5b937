"""The problem list (问题清单: mine first, due soon, overdue; the office's filters and counts) and a problem's page with its
history and the steps the person may take. Every step is done (and audited) by escalation under the person's own token."""
from __future__ import annotations

import math
from collections import Counter
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import and_, or_, select

from services.console.coordination import OPEN, is_mine, is_overdue, problem_offered
from services.console.escalation_api import PROBLEM_ACTIONS, EscalationError
from services.console.guard import same_site_path
from services.console.queries import scope
from services.console.tables import projects
from services.console.viewer import Viewer
from services.console.web import Console
from services.console.words import refusal

PAGE_SIZE = 50
DUE_SOON_DAYS = 7  # "即将到期": due within the coming week
AGES = (30, 90, 180)  # the office's age filter, in days open
STATES = ("raised", "accepted", "solving", "solved", "closed")


def problem_body(action: str, form: dict[str, str]) -> dict[str, Any]:
    """What each step's endpoint expects, from the page's form fields."""
    if action == "solve":
        return {"what_done": form.get("what_done", ""), "evidence": form.get("evidence", "")}
    if action in ("submit", "hand-back", "reopen"):
        return {"reason": form.get("reason", "")}
    if action == "agenda":
        return {"meeting_id": form.get("meeting_id", "")}
    return {"note": form.get("note", "")}


def describe(viewer: Viewer, row: dict[str, Any], today: date) -> dict[str, Any]:
    """The API's row, with what the list shows: mine, overdue, due soon, days open."""
    opened = date.fromisoformat(str(row["opened_on"])) if row.get("opened_on") else today
    due = date.fromisoformat(str(row["due_on"])) if row.get("due_on") else None
    open_now = row.get("state") in OPEN
    return {**row, "mine": is_mine(viewer, row), "overdue": is_overdue(row, today), "days_open": (today - opened).days,
            "due_soon": bool(open_now and due and today <= due <= today + timedelta(days=DUE_SOON_DAYS))}


async def project_choices(console: Console, viewer: Viewer) -> list[tuple[str, str]]:
    """The projects a person may raise a problem for (a department's: those routed to it), by name."""
    where = and_(*scope(viewer))
    if viewer.role == "department":  # routed to it, or naming it as the lead or responsible unit
        where = or_(where, and_(projects.c.county_code == viewer.county_code,
                                or_(projects.c.lead_department == viewer.department, projects.c.responsible_unit == viewer.department)))
    async with console.sessions() as session:
        rows = await session.execute(select(projects.c.project_id, projects.c.name).where(where).order_by(projects.c.name).limit(2000))
    return [(str(pid), name or "—") for pid, name in rows]


async def scheduled_meetings(console: Console, viewer: Viewer) -> list[dict[str, Any]]:
    return [m for m in await console.api.meetings(viewer.token) if m.get("state") == "scheduled"]


def build(console: Console) -> APIRouter:
    router = APIRouter()

    @router.get("/problems")
    async def problem_list(request: Request) -> Response:
        viewer, today = console.viewer(request), console.today()
        q = request.query_params
        everything = q.get("all") == "1" or viewer.role in ("office", "readonly")
        params = {k: q[k] for k in ("category", "level", "state", "age", "project_id") if q.get(k)}
        state = params.get("state") if params.get("state") in STATES else None
        listing = await console.api.problems(
            viewer.token, category=params.get("category"), level=params.get("level") if str(params.get("level", "")).isdigit() else None,
            state=state, open=state is None, project_id=params.get("project_id"))  # the open ones, unless a state is asked for
        found = [describe(viewer, r, today) for r in listing.rows]
        if str(params.get("age", "")).isdigit():
            found = [r for r in found if r["days_open"] >= int(params["age"])]
        mine = [r for r in found if r["mine"]]
        shown = found if everything else mine
        shown.sort(key=lambda r: (not r["mine"], not r["overdue"], not r["due_soon"], str(r.get("due_on") or "9999"), -r["level"]))
        pages = max(1, math.ceil(len(shown) / PAGE_SIZE))
        asked = q.get("page", "1")
        page = min(max(1, int(asked) if asked.isdigit() else 1), pages)
        rows = shown[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
        sections = [("overdue", [r for r in rows if r["overdue"]]), ("due_soon", [r for r in rows if r["due_soon"] and not r["overdue"]]),
                    ("problems_other", [r for r in rows if not r["overdue"] and not r["due_soon"]])]
        categories = await console.api.problem_categories(viewer.token)
        by_category = Counter(r["category"] for r in found)
        by_level = Counter(r["level"] for r in found)
        keep = {k: v for k, v in q.items() if k != "page"}
        return console.render(request, "problems.html", viewer, sections=sections, params=params, everything=everything,
                              categories=categories, by_category=[(c, by_category[c]) for c in categories if by_category[c]]
                              + [(c, n) for c, n in by_category.items() if c not in categories],
                              by_level=sorted(by_level.items()), ages=AGES, states=STATES, page=page, pages=pages, keep=keep,
                              totals={"shown": len(shown), "mine": len(mine), "overdue": sum(r["overdue"] for r in found)},
                              cut=len(listing.rows) if listing.more else None,
                              choices=await project_choices(console, viewer) if viewer.may_act else [],
                              raised=q.get("raised") == "1")

    @router.post("/problems")
    async def raise_problem(request: Request) -> Response:
        viewer = console.viewer(request)
        form = {k: str(v) for k, v in (await request.form()).items()}
        body = {"project_id": form.get("project_id", ""), "category": form.get("category", ""), "description": form.get("description", "").strip(),
                "source": "console"}
        body |= {k: form[k].strip() for k in ("responsible_department", "leader") if form.get(k, "").strip()}
        try:
            made = (await console.api.raise_problem(viewer.token, body))["problem"]
        except EscalationError as failed:
            if failed.status >= 500:
                raise
            return console.render(request, "error.html", viewer, status_code=failed.status, status=failed.status,
                                  message=coordination_refusal(failed, console.lang(request)))
        return RedirectResponse(f"/problems/{made['problem_id']}", status_code=303)

    async def one_problem(viewer: Viewer, problem_id: str) -> dict[str, Any]:
        body = await console.api.problem(viewer.token, problem_id)
        row = describe(viewer, body["problem"], console.today())
        row["actions"] = body.get("actions") or []
        return row

    async def render_problem(request: Request, viewer: Viewer, problem_id: str, template: str, **extra: Any) -> Response:
        p = await one_problem(viewer, problem_id)
        can = problem_offered(viewer, p)
        meetings = await scheduled_meetings(console, viewer) if "agenda" in can else []
        if not meetings:
            can.discard("agenda")
        return console.render(request, template, viewer, p=p, can=can, meetings=meetings, **extra)

    @router.get("/problems/{problem_id}")
    async def problem_page(request: Request, problem_id: str) -> Response:
        viewer = console.viewer(request)
        return await render_problem(request, viewer, problem_id, "problem.html")

    @router.post("/problems/{problem_id}/{action}")
    async def act(request: Request, problem_id: str, action: str) -> Response:
        viewer = console.viewer(request)
        if action not in PROBLEM_ACTIONS:
            raise HTTPException(404, "no such action")
        form = {k: str(v) for k, v in (await request.form()).items()}
        error = None
        try:
            await console.api.act_on_problem(viewer.token, problem_id, action, problem_body(action, form))
        except EscalationError as failed:
            if failed.status >= 500:
                raise
            error = coordination_refusal(failed, console.lang(request))
        if request.headers.get("HX-Request"):
            return await render_problem(request, viewer, problem_id, "_problem.html", error=error, acted=error is None)
        return RedirectResponse(same_site_path(form.get("back"), f"/problems/{problem_id}"), status_code=303)

    return router


def coordination_refusal(failed: EscalationError, lang: str) -> str:
    """Escalation's own words when it refuses a step of a problem, meeting or assignment: they are Chinese and name the
    state (409) or what is wrong (422 on the category); otherwise the console's sentence for the status."""
    if lang != "en" and failed.status == 409 and failed.detail and not failed.detail.isascii():
        return failed.detail
    return refusal(failed.status, lang)
