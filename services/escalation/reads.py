"""Reads of escalation's own data, for the front door: open and cleared escalations with evidence."""
from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.escalation.tables import escalation_history, escalations, project_facts
from shared.query_params import Offset, page_limit


def build_reads(sessions: async_sessionmaker) -> APIRouter:
    router = APIRouter(prefix="/internal/counties/{county_code}", tags=["reads"])

    @router.get("/escalations")
    async def list_escalations(
        county_code: str, status: Literal["open", "cleared", "all"] = "open", rule_id: str | None = None,
        project_id: str | None = None, limit: int = page_limit(200, 2000), offset: Offset = 0,
    ) -> dict[str, Any]:
        query = select(escalations).where(escalations.c.county_code == county_code)
        if status != "all":
            query = query.where(escalations.c.status == status)
        if rule_id:
            query = query.where(escalations.c.rule_id == rule_id)
        if project_id:
            query = query.where(escalations.c.project_id == project_id)
        query = query.order_by(escalations.c.updated_at.desc(), escalations.c.escalation_id).limit(limit).offset(offset)
        async with sessions() as session:
            rows = [dict(r) for r in (await session.execute(query)).mappings().all()]
            await with_project_names(session, rows)
        return {"escalations": rows, "limit": limit, "offset": offset}

    @router.get("/escalations/{escalation_id}")
    async def get_escalation(county_code: str, escalation_id: str) -> dict[str, Any]:
        async with sessions() as session:
            row = (await session.execute(
                select(escalations).where(escalations.c.county_code == county_code, escalations.c.escalation_id == escalation_id)
            )).mappings().first()
            if row is None:
                raise HTTPException(404, f"no escalation {escalation_id} in county {county_code}")
            row = dict(row)
            await with_project_names(session, [row])
            history = (await session.execute(
                select(escalation_history).where(escalation_history.c.escalation_id == escalation_id).order_by(escalation_history.c.id)
            )).mappings().all()
        return {**row, "history": [dict(h) for h in history]}

    return router


async def with_project_names(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Add each project's 项目代码 and name, as escalation's projection knows them, for people reading the list."""
    ids = {row["project_id"] for row in rows}
    if not ids:
        return
    found = await session.execute(select(project_facts.c.project_id, project_facts.c.snapshot).where(project_facts.c.project_id.in_(ids)))
    known = {project_id: snapshot for project_id, snapshot in found}
    for row in rows:
        snapshot = known.get(row["project_id"], {})
        row["project_code"], row["project_name"] = snapshot.get("project_code"), snapshot.get("name")
