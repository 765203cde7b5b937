"""Composition root of console: `build()` (what runs) and `app` (its AsyncAPI description)."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.console.escalation_api import EscalationApi, EscalationError
from services.console.guard import SecurityHeaders, same_site_path, session_guard
from services.console.handlers import build_consumers, describe
from services.console.pages import assignments, auth, boards, cases, meetings, overview, problems, projects, referrals
from services.console.settings import Settings
from services.console.tables import dead_letters
from services.console.web import Console, LoginRequired, templates
from services.console.words import refusal
from shared.batching import TRANSIENT
from shared.clock import Clock, clock_from_setting
from shared.consumer import ConsumerMetrics, stop_together
from shared.dead_letters import DeadLetters
from shared.persistence import utcnow
from shared.runtime import Runtime, asyncapi_app, http_app, serve
from shared.service_token import require

STATIC = Path(__file__).parent / "static"


def add_pages(http: FastAPI, console: Console) -> FastAPI:
    """The pages, their static files, the session guard and the security headers: also what the service tests mount without NATS."""
    http.add_middleware(SecurityHeaders)
    http.mount("/static", StaticFiles(directory=STATIC), name="static")
    guarded = [Depends(session_guard(console)), Depends(referrals.navigation(console))]  # in this order: who, then their menu
    for module in (auth, overview, projects, cases, problems, meetings, assignments, referrals, boards):
        http.include_router(module.build(console), dependencies=guarded)

    @http.exception_handler(LoginRequired)
    async def to_login(request: Request, error: LoginRequired) -> Response:
        if request.headers.get("HX-Request"):  # an htmx poll after the session ended: send the whole page to the login
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return RedirectResponse(f"/login?next={quote(same_site_path(error.next_path))}", status_code=303)

    @http.exception_handler(EscalationError)
    async def escalation_failed(request: Request, error: EscalationError) -> Response:
        if error.status == 401:  # the session was revoked in between: sign in again
            return RedirectResponse("/login", status_code=303)
        status = 502 if error.status >= 500 else error.status
        return console.render(request, "error.html", getattr(request.state, "viewer", None), status_code=status, status=status,
                              message=refusal(error.status, console.lang(request)))

    @http.exception_handler(StarletteHTTPException)
    async def refused(request: Request, error: StarletteHTTPException) -> Response:
        """A page, never a JSON body: what was refused, in the person's language (the status code stays)."""
        page = console.render(request, "error.html", getattr(request.state, "viewer", None), status_code=error.status_code,
                              status=error.status_code, message=refusal(error.status_code, console.lang(request)))
        page.headers.update(error.headers or {})
        return page

    return http


def build(settings: Settings, clock: Clock | None = None) -> FastAPI:
    runtime = Runtime.of("console", settings, Path(__file__).parent / "migrations", None)
    clock = clock or clock_from_setting(settings.clock)
    service_token = require(settings.resolved_service_token(), "CONSOLE_")
    api = EscalationApi(settings.escalation_url, service_token=service_token)
    console = Console(runtime.sessions, api, clock, settings, templates())
    poison = DeadLetters(runtime.sessions, dead_letters, runtime.registry, "console")
    # recorded_at is bookkeeping time (what the live panel orders by), not business time.
    # IntegrityError: another replica inserted the same row in between; redelivered, the event is found applied.
    consumers = build_consumers(runtime.sessions, utcnow, poison, ConsumerMetrics(runtime.registry, "console"),
                                transient=(*TRANSIENT, IntegrityError))

    async def on_start() -> None:
        for consumer in consumers:
            await consumer.start(runtime.nc, runtime.ack_wait)

    async def on_stop() -> None:
        await stop_together(consumers)
        await api.close()

    http = http_app(runtime, on_start=on_start, on_stop=on_stop, title="tuijin console")
    return add_pages(http, console)


app = asyncapi_app("console", describe)


def main() -> None:
    settings = Settings()
    serve(build(settings), settings.host, settings.port)
