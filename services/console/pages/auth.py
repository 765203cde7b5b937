"""Sign in with escalation's identities: the console keeps the person's token in its signed session cookie."""
from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from services.console.escalation_api import EscalationError
from services.console.viewer import Viewer
from services.console.web import Console


def _safe(next_path: str) -> str:
    """Only a path on this site: a login link must not bounce the person elsewhere."""
    return next_path if next_path.startswith("/") and not next_path.startswith("//") else "/"


def build(console: Console) -> APIRouter:
    router = APIRouter()

    @router.get("/login")
    async def login_page(request: Request, next: str = "/") -> Response:
        return console.render(request, "login.html", None, next=_safe(next), failed=False)

    @router.post("/login")
    async def login(request: Request, login: str = Form(...), password: str = Form(...), next: str = Form("/")) -> Response:
        try:
            signed_in = await console.api.login(login, password)
        except EscalationError as error:
            if error.status >= 500:
                raise
            return console.render(request, "login.html", None, status_code=401, next=_safe(next), failed=True)
        request.session["viewer"] = Viewer.of(signed_in["person"], signed_in["token"]).session_data()
        return RedirectResponse(_safe(next), status_code=303)

    @router.post("/logout")
    async def logout(request: Request) -> Response:
        lang = request.session.get("lang")
        request.session.clear()
        if lang:
            request.session["lang"] = lang
        return RedirectResponse("/login", status_code=303)

    return router
