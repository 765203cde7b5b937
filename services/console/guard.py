"""The console's doors: who the session belongs to, CSRF on every state change, safe redirects, security headers.

Every request through the pages' routers first loads the server-side session and asks escalation who holds
it (/api/me, so a disabled person or a revoked session is refused at once, on every replica). A request that
changes state must come from this site (Origin / Sec-Fetch-Site) and carry the session's CSRF token, as the
form field `csrf` or, from htmx, the header `X-CSRF-Token`.
"""
from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from fastapi import HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.console.escalation_api import EscalationError
from services.console.viewer import Viewer
from services.console.web import Console, LoginRequired
from services.console.web_sessions import COOKIE, end_web_session, load_web_session
from shared.persistence import utcnow

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"
# Pages only load the vendored htmx and the stylesheet; inline style attributes draw the bars, inline script never runs.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
HEADERS = {"content-security-policy": CSP, "x-frame-options": "DENY", "referrer-policy": "same-origin",
           "x-content-type-options": "nosniff", "cross-origin-opener-policy": "same-origin"}


def same_site_path(target: str | None, fallback: str = "/") -> str:
    """Only a path on this site: `//host`, `/\\host`, a scheme or a control character bounces to `fallback`."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return fallback
    if any(ord(ch) < 0x20 or ch == "\\" for ch in target):
        return fallback
    parts = urlsplit(target)
    return target if not parts.scheme and not parts.netloc else fallback


def _from_this_site(request: Request) -> bool:
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is not None and (origin == "null" or urlsplit(origin).netloc != request.headers.get("host")):
        return False
    return True


def session_guard(console: Console):  # noqa: ANN201 - a FastAPI dependency
    async def guard(request: Request) -> None:
        request.state.viewer, request.state.web_session = None, None
        found = await load_web_session(console.sessions, request.cookies.get(COOKIE, ""), utcnow())
        if found is not None:
            try:
                person = await console.api.me(found.access_token)
            except EscalationError as error:
                if error.status != 401:
                    raise
                await end_web_session(console.sessions, found.session_hash)  # revoked, expired or disabled in escalation
            else:
                request.state.viewer, request.state.web_session = Viewer.of(person, found.access_token), found
        if request.method in SAFE_METHODS:
            return
        if not _from_this_site(request):
            raise HTTPException(403, "cross-site request refused")
        if request.url.path == "/login":  # no session yet: the origin check above is its defence
            return
        session = request.state.web_session
        if session is None:  # signed out meanwhile: back to the start after signing in (a form cannot be re-posted)
            raise LoginRequired("/")
        given = request.headers.get(CSRF_HEADER) or str((await request.form()).get("csrf") or "")
        if not secrets.compare_digest(given.encode(), session.csrf_token.encode()):
            raise HTTPException(403, "missing or wrong CSRF token")

    return guard


class SecurityHeaders:
    """Adds the headers to every response, static files and errors included (a pure ASGI middleware)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], *((k.encode(), v.encode()) for k, v in HEADERS.items() if k.encode() not in present)]
            await send(message)

        await self.app(scope, receive, with_headers)
