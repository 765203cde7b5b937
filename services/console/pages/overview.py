"""County overview: who must act, the rates against the year's targets, investment against the time curve, colours, cases, the week."""
from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.console import figures
from services.console.must_act import must_act, overdue_coordination
from services.console.web import Console


def build(console: Console) -> APIRouter:
    router = APIRouter()

    @router.get("/")
    async def overview(request: Request) -> Response:
        viewer, today = console.viewer(request), console.today()
        s = console.settings
        targets = {"start": s.start_target_percent, "completion": s.completion_target_percent, "production": s.production_target_percent}
        async with console.sessions() as session:
            head = await figures.headline(session, viewer, today, targets)
            counts = await figures.case_counts(session, viewer, today)
            week = await figures.changes_since(session, viewer, console.now() - timedelta(days=7))
            urgent = await must_act(session, viewer, today)
        late = await overdue_coordination(console.api, viewer, today)
        return console.render(request, "overview.html", viewer, **head, **counts, week=week, must_act=urgent, late=late)

    return router
