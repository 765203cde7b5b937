"""Sign in with escalation's identities: escalation issues a session token; the console keeps it server side.

The cookie holds only a random session id. Signing out ends both the console's session and escalation's.
"""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from services.console.escalation_api import EscalationError
from services.console.guard import same_site_path
from services.console.web import Console
from services.console.web_sessions import COOKIE, LIFETIME, end_web_session, open_web_session
from shared.persistence import utcnow


def build(console: Console) -> APIRouter:
    router = APIRouter()

    @router.get("/login")
    async def login_page(request: Request, next: str = "/") -> Response:
        return console.render(request, "login.html", None, next=same_site_path(next), failed=False)

    @router.post("/login")
    async def login(request: Request, login: str = Form(..., max_length=50), password: str = Form(..., max_length=200),
                    next: str = Form("/", max_length=2000)) -> Response:
        address = request.client.host if request.client else "unknown"
        try:
            signed_in = await console.api.login(login, password, address)
        except EscalationError as error:
            if error.status >= 500:
                raise
            throttled = error.status == 429
            return console.render(request, "login.html", None, status_code=429 if throttled else 401, next=same_site_path(next),
                                  failed=not throttled, throttled=throttled)
        now = utcnow()
        expires = datetime.fromisoformat(signed_in["expires_at"]) if signed_in.get("expires_at") else None
        session_id, _ = await open_web_session(console.sessions, signed_in["person"]["person_id"], signed_in["token"], now, expires)
        response = RedirectResponse(same_site_path(next), status_code=303)
        response.set_cookie(COOKIE, session_id, max_age=int(LIFETIME.total_seconds()), httponly=True, samesite="lax",
                            secure=console.settings.session_https_only, path="/")
        return response

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        session = request.state.web_session
        if session is not None:
            await end_web_session(console.sessions, session.session_hash)
            try:
                await console.api.logout(session.access_token)
            except EscalationError:
                pass  # the console's session is gone either way; escalation's expires on its own
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax", secure=console.settings.session_https_only)
        return response

    return router
