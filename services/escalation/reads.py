"""Reads of escalation's own data, for the front door: open and cleared escalations with evidence."""
from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation.tables import escalation_history, escalations


def build_reads(sessions: async_sessionmaker) -> APIRouter:
    router = APIRouter(prefix="/internal/counties/{county_code}", tags=["reads"])

    @router.get("/escalations")
    async def list_escalations(
        county_code: str, status: Literal["open", "cleared", "all"] = "open", rule_id: str | None = None,
        project_id: str | None = None, limit: int = Query(200, le=2000), offset: int = 0,
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
            rows = (await session.execute(query)).mappings().all()
        return {"escalations": [dict(r) for r in rows], "limit": limit, "offset": offset}

    @router.get("/escalations/{escalation_id}")
    async def get_escalation(county_code: str, escalation_id: str) -> dict[str, Any]:
        async with sessions() as session:
            row = (await session.execute(
                select(escalations).where(escalations.c.county_code == county_code, escalations.c.escalation_id == escalation_id)
            )).mappings().first()
            if row is None:
                raise HTTPException(404, f"no escalation {escalation_id} in county {county_code}")
            history = (await session.execute(
                select(escalation_history).where(escalation_history.c.escalation_id == escalation_id).order_by(escalation_history.c.id)
            )).mappings().all()
        return {**dict(row), "history": [dict(h) for h in history]}

    return router
