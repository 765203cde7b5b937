"""Reads of notifier's own data, for the front door: the delivery log of a county."""
from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.notifier.tables import deliveries
from shared.query_params import Offset, page_limit

SHOWN = [c for c in deliveries.c if c.name != "event"]


def build_reads(sessions: async_sessionmaker) -> APIRouter:
    router = APIRouter(prefix="/internal/counties/{county_code}", tags=["reads"])

    @router.get("/deliveries")
    async def list_deliveries(
        county_code: str, status: Literal["pending", "sent", "failed", "all"] = "all", escalation_id: str | None = None,
        limit: int = page_limit(200, 2000), offset: Offset = 0,
    ) -> dict[str, Any]:
        query = select(*SHOWN).where(deliveries.c.county_code == county_code)
        if status != "all":
            query = query.where(deliveries.c.status == status)
        if escalation_id:
            query = query.where(deliveries.c.escalation_id == escalation_id)
        async with sessions() as session:
            rows = (await session.execute(query.order_by(deliveries.c.created_at.desc()).limit(limit).offset(offset))).mappings().all()
        return {"deliveries": [dict(r) for r in rows], "limit": limit, "offset": offset}

    return router
