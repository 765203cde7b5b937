"""What every page needs: the signed-in viewer, the clock, the read model, escalation's API, and rendering."""
from __future__ import annotations

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
from services.console.settings import Settings
from services.console.viewer import Viewer
from shared.clock import Clock, beijing_today

TEMPLATES = Path(__file__).parent / "templates"


class LoginRequired(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def wan(fen: int | None) -> str:
    """Fen as 万元 with two decimals, the unit the ledgers use."""
    return "—" if fen is None else f"{fen / 1_000_000:,.2f}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def templates() -> Jinja2Templates:
    engine = Jinja2Templates(directory=str(TEMPLATES))
    engine.env.filters.update(wan=wan, percent=percent)
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
        wanted = request.query_params.get("lang")
        if wanted in ("zh", "en"):
            request.session["lang"] = wanted
        return request.session.get("lang", "zh")  # type: ignore[no-any-return]

    def viewer(self, request: Request) -> Viewer:
        data = request.session.get("viewer")
        if not data:
            raise LoginRequired(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        return Viewer(**data)

    def render(self, request: Request, name: str, viewer: Viewer | None, status_code: int = 200, **context: Any) -> Response:
        lang = self.lang(request)
        switch = urlencode({**request.query_params, "lang": "zh" if lang == "en" else "en"})
        return self.templates.TemplateResponse(request, name, {
            "t": translator(lang), "lang": lang, "viewer": viewer, "today": self.today(), "path": request.url.path,
            "query": request.url.query, "live_seconds": self.settings.live_poll_seconds, "quote": quote, "lang_href": f"{request.url.path}?{switch}", **context,
        }, status_code=status_code)
