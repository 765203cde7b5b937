"""County reads for the front door: the county's cases (督办单) and one project "as of" a day, read-only.

intake checks the county's token and forwards here with the county code from that token, so a county
system shows its own cases without a person's login; another county's case or project is a 404.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation.cases.ladder import level_name
from services.escalation.cases.rows import public
from services.escalation.domain.policy import Policy
from services.escalation.project_view import as_json, load_project_history, project_view
from services.escalation.reads import with_project_names
from services.escalation.tables import case_actions, cases
from shared.clock import Clock, beijing_today
from shared.contracts.case import FINISHED_STATES


def _case(row: Any) -> dict[str, Any]:
    return {**public(row), "level_name": level_name(row["ladder_level"], row["target_kind"])}


def build_case_reads(sessions: async_sessionmaker, clock: Clock, policy_for: Callable[[str], Policy]) -> APIRouter:
    router = APIRouter(prefix="/internal/counties/{county_code}", tags=["reads"])

    @router.get("/cases")
    async def list_cases(
        county_code: str, state: Literal["open", "closed", "withdrawn", "all"] = "open", project_id: str | None = None,
        limit: int = Query(200, ge=1, le=2000), offset: int = Query(0, ge=0, le=10_000_000),
    ) -> dict[str, Any]:
        query = select(cases).where(cases.c.county_code == county_code)
        if state == "open":
            query = query.where(cases.c.state.not_in(FINISHED_STATES))
        elif state != "all":
            query = query.where(cases.c.state == state)
        if project_id:
            query = query.where(cases.c.project_id == project_id)
        query = query.order_by(cases.c.due_on.is_(None), cases.c.due_on, cases.c.case_id).limit(limit).offset(offset)
        async with sessions() as session:
            rows = [_case(r) for r in (await session.execute(query)).mappings().all()]
            await with_project_names(session, rows)
        return {"cases": rows, "limit": limit, "offset": offset}

    @router.get("/cases/{case_id}")
    async def get_case(county_code: str, case_id: str) -> dict[str, Any]:
        async with sessions() as session:
            row = (await session.execute(select(cases).where(cases.c.county_code == county_code, cases.c.case_id == case_id))
                   ).mappings().first()
            if row is None:
                raise HTTPException(404, f"本县没有督办单 {case_id} / no case {case_id} in county {county_code}")
            case = _case(row)
            await with_project_names(session, [case])
            steps = (await session.execute(select(case_actions).where(case_actions.c.case_id == case_id)
                                           .order_by(case_actions.c.id))).mappings().all()
        return {**case, "actions": [dict(step) for step in steps]}

    @router.get("/as-of/{project}")
    async def project_as_of(county_code: str, project: str, day: date | None = Query(None, alias="date")) -> dict[str, Any]:
        """Every rule's result for one project on a day (default today, Beijing), on the facts as known that day."""
        as_of = day or beijing_today(clock)
        view = project_view(await load_project_history(sessions, county_code, project), policy_for(county_code), as_of)
        if view is None:
            raise HTTPException(404, f"本县没有项目 {project}，或截至{as_of}尚无数据 / no project {project} known by {as_of}")
        return as_json(view)

    return router
