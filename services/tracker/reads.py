"""Reads of tracker's own data, for the front door: projects, their state and their history."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.tracker import domain
from services.tracker.tables import change_log, project_aliases, projects, stage_history
from shared.query_params import Offset, page_limit


def build_reads(sessions: async_sessionmaker) -> APIRouter:
    router = APIRouter(prefix="/internal/counties/{county_code}", tags=["reads"])

    async def find(county_code: str, key: str) -> dict[str, Any]:
        """A project by 项目代码, by the county's local id, or by tracker's id."""
        async with sessions() as session:
            alias = select(project_aliases.c.project_id).where(project_aliases.c.county_code == county_code, project_aliases.c.local_id == key)
            row = (await session.execute(
                select(projects).where(projects.c.county_code == county_code)
                .where(or_(projects.c.project_code == key, projects.c.project_id == key, projects.c.project_id.in_(alias)))
            )).mappings().first()
            if row is None:
                raise HTTPException(404, f"no project {key} in county {county_code}")
            aliases = (await session.execute(select(project_aliases.c.local_id).where(project_aliases.c.project_id == row["project_id"]))).scalars().all()
        return {"row": dict(row), "local_ids": sorted(aliases)}

    @router.get("/projects")
    async def list_projects(county_code: str, stage: str | None = None, limit: int = page_limit(100, 5000), offset: Offset = 0) -> dict[str, Any]:
        query = select(projects.c.project_id, projects.c.project_code, projects.c.name, projects.c.stage, projects.c.version, projects.c.updated_at)
        query = query.where(projects.c.county_code == county_code).order_by(projects.c.project_code, projects.c.project_id)
        if stage:
            query = query.where(projects.c.stage == stage)
        async with sessions() as session:
            rows = (await session.execute(query.limit(limit).offset(offset))).mappings().all()
        return {"projects": [dict(r) for r in rows], "limit": limit, "offset": offset}

    @router.get("/projects/{key}")
    async def get_project(county_code: str, key: str) -> dict[str, Any]:
        found = await find(county_code, key)
        row = found["row"]
        state = domain.decode_state(row["state"])
        return {
            "project_id": row["project_id"], "project_code": row["project_code"], "local_ids": found["local_ids"],
            "version": row["version"], "updated_at": row["updated_at"], "facts": domain.unflatten(state),
            "field_sources": {path: {"record_time": f.stamp.record_time, "event_id": f.stamp.event_id} for path, f in sorted(state.items())},
        }

    @router.get("/projects/{key}/history")
    async def get_history(county_code: str, key: str, limit: int = page_limit(500, 5000)) -> dict[str, Any]:
        project_id = (await find(county_code, key))["row"]["project_id"]
        async with sessions() as session:
            stages = (await session.execute(select(stage_history).where(stage_history.c.project_id == project_id).order_by(stage_history.c.id))).mappings().all()
            changes = (await session.execute(
                select(change_log).where(change_log.c.project_id == project_id).order_by(change_log.c.id.desc()).limit(limit)
            )).mappings().all()
        # A correction (the same source record and time sent again with other content) is named as such.
        logged = [{**c, "kind": "correction" if c["corrects"] else "update"} for c in changes]
        return {"project_id": project_id, "stage_history": [dict(s) for s in stages], "changes": logged}

    return router
