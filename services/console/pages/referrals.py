"""移送: the referrals to an oversight body (纪委监委, 审计局) with their evidence pack, and the body's 签收.

The office and readonly read them all, a department those referred to it (escalation decides, under the person's token);
only the body's own people sign for one. The list is in the navigation for the office and readonly, and for a department
once something was referred to it: most departments never receive one, and a menu entry that is always empty is noise.
"""
from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from services.console.escalation_api import EscalationError
from services.console.pages.problems import coordination_refusal
from services.console.tables import projects
from services.console.viewer import Viewer
from services.console.web import Console

SEES_ALL = ("office", "readonly")
NAV_RECHECK_SECONDS = 60  # a department with none yet: look again after this long (one has it for good once referred)


def may_read(viewer: Viewer) -> bool:
    """Who escalation shows any referral to: the office, readonly, and a department (those referred to it)."""
    return viewer.role in SEES_ALL or viewer.role == "department"


def may_sign(viewer: Viewer, referral: dict[str, Any]) -> bool:
    """Only the receiving body's own people sign for a referral, and only once (escalation's rule, mirrored)."""
    return (viewer.role == "department" and bool(viewer.department) and viewer.department == referral.get("target_name")
            and referral.get("state") == "referred")


async def readable_referrals(console: Console, viewer: Viewer) -> list[dict[str, Any]] | None:
    """The referrals this person may read; None when escalation cannot say now (the page says so, and still shows)."""
    if not may_read(viewer):
        return []
    try:
        return await console.api.referrals(viewer.token)
    except EscalationError as failed:
        if failed.status == 401:
            raise
        return None


def in_rule_order(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One finding's referrals in the order its rule names the bodies (纪委监委 before 审计局), as its evidence pack lists them."""
    named = [t.get("to") for r in found for t in (r.get("pack") or {}).get("told") or [] if t.get("step") == "referred"]
    return sorted(found, key=lambda r: (str(r.get("referred_on")), named.index(r["target_name"]) if r["target_name"] in named else len(named),
                                        str(r["target_name"])))


def navigation(console: Console) -> Callable[[Request], Awaitable[None]]:
    """A page dependency after the session guard: whether the navigation offers 移送 (request.state.sees_referrals)."""
    has_some: set[tuple[str, str]] = set()  # departments something was referred to: referrals are never taken back
    had_none: dict[tuple[str, str], float] = {}  # departments found with none, and when (monotonic)

    async def decide(request: Request) -> None:
        viewer: Viewer | None = getattr(request.state, "viewer", None)
        request.state.sees_referrals = viewer is not None and viewer.role in SEES_ALL
        if viewer is None or viewer.role != "department":
            return
        key = (viewer.county_code, viewer.department or "")
        if key in has_some:
            request.state.sees_referrals = True
            return
        if time.monotonic() - had_none.get(key, -NAV_RECHECK_SECONDS) < NAV_RECHECK_SECONDS:
            return
        try:
            found = await console.api.referrals(viewer.token)
        except EscalationError:
            return  # the page itself reports an unreachable escalation; the menu just leaves the entry out
        if found:
            has_some.add(key)
        else:
            had_none[key] = time.monotonic()
        request.state.sees_referrals = bool(found)

    return decide


async def project_names(console: Console, viewer: Viewer, project_ids: set[str]) -> dict[str, str]:
    if not project_ids:
        return {}
    async with console.sessions() as session:
        rows = await session.execute(select(projects.c.project_id, projects.c.name).where(
            projects.c.county_code == viewer.county_code, projects.c.project_id.in_(project_ids)))
    return {str(pid): name for pid, name in rows if name}


def build(console: Console) -> APIRouter:
    router = APIRouter()

    @router.get("/referrals")
    async def referral_list(request: Request) -> Response:
        viewer = console.viewer(request)
        if not may_read(viewer):
            raise HTTPException(403, "referrals are for the office, readonly and the receiving body")
        state = request.query_params.get("state")
        found = await console.api.referrals(viewer.token, state if state in ("referred", "acknowledged") else None)
        names = await project_names(console, viewer, {str(r["project_id"]) for r in found})
        rows = sorted(({**r, "project_name": names.get(str(r["project_id"])), "signable": may_sign(viewer, r)} for r in in_rule_order(found)),
                      key=lambda r: str(r["referred_on"]), reverse=True)
        rows.sort(key=lambda r: r["state"] != "referred")  # those waiting to be signed for first, newest first within each
        waiting = sum(1 for r in found if r["state"] == "referred")
        return console.render(request, "referrals.html", viewer, rows=rows, state=state or "", waiting=waiting)

    async def one(viewer: Viewer, referral_id: str) -> dict[str, Any]:
        body = await console.api.referral(viewer.token, referral_id)
        referral = {**body["referral"], "actions": body.get("actions") or []}
        referral["project_name"] = (await project_names(console, viewer, {str(referral["project_id"])})).get(str(referral["project_id"]))
        return referral

    @router.get("/referrals/{referral_id}")
    async def referral_page(request: Request, referral_id: str) -> Response:
        viewer = console.viewer(request)
        r = await one(viewer, referral_id)
        return console.render(request, "referral.html", viewer, r=r, signable=may_sign(viewer, r))

    @router.post("/referrals/{referral_id}/acknowledge")
    async def sign(request: Request, referral_id: str) -> Response:
        viewer = console.viewer(request)
        form = {k: str(v) for k, v in (await request.form()).items()}
        error = None
        try:
            await console.api.acknowledge_referral(viewer.token, referral_id, form.get("note", "")[:2000])
        except EscalationError as failed:
            if failed.status >= 500 or failed.status == 404:
                raise
            if not request.headers.get("HX-Request") and failed.status != 409:
                raise  # a plain form: the refusal's own page (409, signed meanwhile: the referral's page shows by whom)
            error = coordination_refusal(failed, console.lang(request))
        if request.headers.get("HX-Request"):
            r = await one(viewer, referral_id)
            return console.render(request, "_referral.html", viewer, r=r, signable=may_sign(viewer, r), error=error, acted=error is None)
        return RedirectResponse(f"/referrals/{referral_id}", status_code=303)

    return router
