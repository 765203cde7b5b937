"""What every page needs: the signed-in viewer, the clock, the read model, escalation's API, and rendering."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.templating import Jinja2Templates
from sqlalchemy.ext.asyncio import async_sessionmaker
from starlette.responses import Response

from services.console.catalog import translator
from services.console.escalation_api import EscalationApi
from services.console.permissions import offered
from services.console.settings import Settings
from services.console.viewer import Viewer
from services.console.words import Words
from shared.clock import Clock, beijing_today
from shared.wording import beijing, money
from shared.wording import wan as wan_cell

TEMPLATES = Path(__file__).parent / "templates"
LANG_COOKIE = "tuijin_lang"


class LoginRequired(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def wan(fen: int | None) -> str:
    """Fen as 万元 with two decimals and separators, for columns headed (万元)."""
    return wan_cell(fen)


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


@functools.cache
def templates() -> Jinja2Templates:
    """One per process: Jinja compiles each template on first use, and every console app in a process shares it."""
    engine = Jinja2Templates(directory=str(TEMPLATES))
    engine.env.filters.update(wan=wan, percent=percent, money=money, beijing=beijing)
    engine.env.globals["offered"] = offered  # the actions a case card shows: only those this person may take now
    return engine


@dataclass
class Console:
    sessions: async_sessionmaker
    api: EscalationApi
    clock: Clock
    settings: Settings
    templates: Jinja2Templates

    def today(self) -> date:
        return beijing_today(self.clock)

    def now(self) -> datetime:
        return self.clock.now()

    def lang(self, request: Request) -> str:
        """?lang= switches and is remembered in a plain cookie (a preference, not a credential)."""
        wanted = request.query_params.get("lang")
        if wanted in ("zh", "en"):
            return wanted  # type: ignore[return-value]
        return "en" if request.cookies.get(LANG_COOKIE) == "en" else "zh"

    def viewer(self, request: Request) -> Viewer:
        """The person of the server-side session, as escalation described them for this request (guard.py)."""
        viewer = getattr(request.state, "viewer", None)
        if viewer is None:
            raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return viewer  # type: ignore[no-any-return]

    def render(self, request: Request, name: str, viewer: Viewer | None, status_code: int = 200, **context: Any) -> Response:
        lang = self.lang(request)
        switch = urlencode({**request.query_params, "lang": "zh" if lang == "en" else "en"})
        session = getattr(request.state, "web_session", None)
        response = self.templates.TemplateResponse(request, name, {
            "t": translator(lang), "w": Words(lang), "lang": lang, "viewer": viewer, "today": self.today(), "path": request.url.path,
            "query": request.url.query, "live_seconds": self.settings.live_poll_seconds, "quote": quote, "lang_href": f"{request.url.path}?{switch}",
            "csrf": session.csrf_token if session else "", "sees_referrals": getattr(request.state, "sees_referrals", False), **context,
        }, status_code=status_code)
        if request.query_params.get("lang") in ("zh", "en"):
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, httponly=True, samesite="lax", secure=self.settings.session_https_only)
        return response
