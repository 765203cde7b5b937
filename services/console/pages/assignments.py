"""交办事项: the list (a department's own first), each with the steps its state and the person allow (签收, 报告落实情况;
the office's 核实 and 销号). Escalation does and audits every step, under the person's own token."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from services.console.coordination import ASSIGNMENT_OPEN, assignment_is_mine, assignment_offered, is_overdue
from services.console.escalation_api import ASSIGNMENT_ACTIONS, EscalationError
from services.console.guard import same_site_path
from services.console.pages.problems import coordination_refusal
from services.console.tables import projects
from services.console.viewer import Viewer
from services.console.web import Console

STATES = ("opened", "acknowledged", "reported", "verified", "closed")
LATE_STATES = ASSIGNMENT_OPEN[:2]  # late while nothing is reported by the deadline


def assignment_body(action: str, form: dict[str, str]) -> dict[str, Any]:
    if action == "report":
        return {"what_done": form.get("what_done", ""), "evidence": form.get("evidence", "")}
    if action == "verify":
        return {"accepted": form.get("accepted") == "true", "note": form.get("note", "")}
    return {"note": form.get("note", "")}


async def annotate(console: Console, viewer: Viewer, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What a row shows beyond the API's answer: the project's name, mine, overdue, the steps offered."""
    today = console.today()
    project_ids = {a["project_id"] for a in found if a.get("project_id")}
    async with console.sessions() as session:
        named = dict((await session.execute(select(projects.c.project_id, projects.c.name).where(
            projects.c.county_code == viewer.county_code, projects.c.project_id.in_(project_ids)))).all()) if project_ids else {}
    for a in found:
        a.update(project_name=named.get(a.get("project_id")), mine=assignment_is_mine(viewer, a), overdue=is_overdue(a, today, LATE_STATES),
                 can=assignment_offered(viewer, a))
    return found


def build(console: Console) -> APIRouter:
    router = APIRouter()

    @router.get("/assignments")
    async def assignment_list(request: Request) -> Response:
        viewer = console.viewer(request)
        q = request.query_params
        everything = q.get("all") == "1" or not viewer.queue_target
        state = q.get("state") if q.get("state") in STATES else None
        listing = await console.api.assignments(viewer.token, state=state, open=state is None)  # the open ones, unless a state is asked for
        found = await annotate(console, viewer, listing.rows)
        mine = [a for a in found if a["mine"]]
        shown = found if everything else mine
        shown.sort(key=lambda a: (not a["mine"], not a["overdue"], str(a.get("due_on") or "9999"), a.get("number") or ""))
        return console.render(request, "assignments.html", viewer, assignments=shown, everything=everything, states=STATES,
                              params={"state": state} if state else {},
                              totals={"shown": len(shown), "mine": len(mine), "overdue": sum(a["overdue"] for a in found)},
                              cut=len(listing.rows) if listing.more else None)

    @router.post("/assignments/{assignment_id}/{action}")
    async def act(request: Request, assignment_id: str, action: str) -> Response:
        viewer = console.viewer(request)
        if action not in ASSIGNMENT_ACTIONS:
            raise HTTPException(404, "no such action")
        form = {k: str(v) for k, v in (await request.form()).items()}
        error = None
        try:
            await console.api.act_on_assignment(viewer.token, assignment_id, action, assignment_body(action, form))
        except EscalationError as failed:
            if failed.status >= 500:
                raise
            error = coordination_refusal(failed, console.lang(request))
        if request.headers.get("HX-Request"):
            [row] = await annotate(console, viewer, [(await console.api.assignment(viewer.token, assignment_id))["assignment"]])
            return console.render(request, "_assignment.html", viewer, a=row, a_error=error, a_acted=error is None,
                                  show_meeting=request.headers.get("HX-Current-URL", "").find("/meetings/") < 0)
        return RedirectResponse(same_site_path(form.get("back"), "/assignments"), status_code=303)

    return router
