"""HTTP for bulletins on escalation: list them, fetch a document, generate one now."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Response
from fastapi import Path as PathParam
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation.bulletin.service import PolicyFor, generate_bulletin, links, month_end
from services.escalation.bulletin.settings import load_bulletin_settings
from services.escalation.problems.policy import load_problem_policy
from services.escalation.tables import bulletins
from shared.clock import Clock, beijing_today
from shared.contracts.types import CALENDAR_MONTH_PATTERN, is_county_code
from shared.query_params import DATABASE_INT_MAX

MEDIA = {
    "html": "text/html; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
LISTED = [c for c in bulletins.c if c.name not in ("html", "xlsx", "docx", "figures")]


def _summary(row: dict[str, Any]) -> dict[str, Any]:
    figures = row.get("figures") or {}
    shown = {key: row[key] for key in (c.name for c in LISTED)}
    return {**shown, "title": figures.get("title"), "headline": figures.get("headline", {}),
            "links": links(row["county_code"], row["month"], row["revision"])}


def _county(county_code: str) -> str:
    if not is_county_code(county_code):
        raise HTTPException(422, f"not a 6-digit county code: {county_code!r}")
    return county_code


def build_bulletin_api(sessions: async_sessionmaker, clock: Clock, policy_for: PolicyFor, policy_dir: Path) -> APIRouter:
    router = APIRouter(prefix="/internal/counties/{county_code}/bulletins", tags=["bulletins"])

    @router.get("")
    async def list_bulletins(county_code: str, month: str | None = Query(None, pattern=CALENDAR_MONTH_PATTERN)) -> dict[str, Any]:
        query = select(*LISTED, bulletins.c.figures).where(bulletins.c.county_code == _county(county_code))
        if month:
            query = query.where(bulletins.c.month == month)
        async with sessions() as session:
            rows = (await session.execute(query.order_by(bulletins.c.month.desc(), bulletins.c.revision.desc()))).mappings().all()
        return {"bulletins": [_summary(dict(r)) for r in rows]}

    @router.get("/{month}.{fmt}")
    async def get_document(county_code: str, month: str = PathParam(pattern=CALENDAR_MONTH_PATTERN),
                           fmt: Literal["html", "xlsx", "docx"] = PathParam(),
                           revision: int | None = Query(None, ge=1, le=DATABASE_INT_MAX)) -> Response:
        column = bulletins.c[fmt]
        query = select(column, bulletins.c.revision).where(bulletins.c.county_code == _county(county_code), bulletins.c.month == month)
        query = query.where(bulletins.c.revision == revision) if revision else query.order_by(bulletins.c.revision.desc()).limit(1)
        async with sessions() as session:
            found = (await session.execute(query)).first()
        if found is None:
            raise HTTPException(404, f"no bulletin for {county_code} {month}")
        body, number = found
        headers = {"content-disposition": f'inline; filename="bulletin-{county_code}-{month}-r{number}.{fmt}"'}
        return Response(body.encode() if isinstance(body, str) else bytes(body), media_type=MEDIA[fmt], headers=headers)

    @router.post("/{month}", status_code=201)
    async def generate_now(county_code: str, month: str = PathParam(pattern=CALENDAR_MONTH_PATTERN)) -> dict[str, Any]:
        today = beijing_today(clock)
        if month > today.isoformat()[:7]:
            raise HTTPException(422, f"{month} has not started yet (today is {today.isoformat()}, Beijing)")
        as_of = min(today, month_end(month))
        row = await generate_bulletin(sessions, _county(county_code), month, as_of, clock.now(), policy_for(county_code),
                                      load_bulletin_settings(county_code, policy_dir),
                                      problem_policy=load_problem_policy(county_code, policy_dir))
        assert row is not None
        return _summary(row)

    return router
