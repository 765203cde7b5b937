"""County overview: the rates against the year's targets, investment against the time curve, colours, cases, the week."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from services.console import figures
from services.console.must_act import must_act
from services.console.web import Console


def build(console: Console) -> APIRouter:
    router = APIRouter()

    @router.get("/")
    async def overview(request: Request) -> Response:
        viewer, today = console.viewer(request), console.today()
        s = console.settings
        async with console.sessions() as session:
            rows = await figures.scoped_rows(session, viewer, today)
            open_cases = await figures.open_cases(session, viewer)
            week = await figures.changes_since(session, viewer, console.now() - timedelta(days=7))
            urgent = await must_act(session, viewer, today)
        targets = {"start": s.start_target_percent, "completion": s.completion_target_percent, "production": s.production_target_percent}
        rates = [figures.rate(rows, step, today, targets[step]) for step in figures.STEPS]
        levels = Counter((c["ladder_level"], c["level_name"]) for c in open_cases)
        departments = Counter(c["target_name"] or "—" for c in open_cases)
        overdue = sum(bool(c["due_on"] and c["due_on"] < today) for c in open_cases)
        return console.render(request, "overview.html", viewer, rates=rates, investment=figures.investment(rows, today),
                              colours=figures.by_colour(rows), total=len(rows), levels=sorted(levels.items()),
                              departments=departments.most_common(), overdue=overdue, open_total=len(open_cases), week=week,
                              must_act=urgent)

    return router
