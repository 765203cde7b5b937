"""Rejected rows of earlier uploads that a later upload brought in corrected: marked `resubmitted_at`, never deleted."""
from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.intake.tables import quarantine, upload_jobs


class OpenRejections:
    """The county's still-open rejected rows of this profile, by record key (项目代码, 地块编号, … as the cells said)."""

    def __init__(self, by_key: dict[str, list[int]]) -> None:
        self._by_key = by_key

    @classmethod
    async def load(cls, sessions: async_sessionmaker, county: str, profile: str, job_id: str) -> OpenRejections:
        jobs = select(upload_jobs.c.job_id).where(upload_jobs.c.county_code == county, upload_jobs.c.profile == profile)
        query = select(quarantine.c.id, quarantine.c.raw_item).where(
            quarantine.c.county_code == county, quarantine.c.job_id.in_(jobs), quarantine.c.job_id != job_id,
            quarantine.c.resubmitted_at.is_(None),
        )
        by_key: dict[str, list[int]] = {}
        async with sessions() as session:
            for row in (await session.execute(query)).all():
                key = json.loads(row.raw_item).get("key", "")
                if key.strip("|"):  # a row without its key cells cannot be recognised later
                    by_key.setdefault(key, []).append(row.id)
        return cls(by_key)

    async def mark(self, sessions: async_sessionmaker, accepted_keys: Iterable[str], now: datetime) -> int:
        ids = [entry for key in accepted_keys for entry in self._by_key.pop(key, [])]
        if ids:
            async with sessions() as session, session.begin():
                await session.execute(update(quarantine).where(quarantine.c.id.in_(ids)).values(resubmitted_at=now))
        return len(ids)


async def resubmitted_since(sessions: async_sessionmaker, county: str, since: datetime) -> int:
    query = select(func.count()).select_from(quarantine).where(quarantine.c.county_code == county, quarantine.c.resubmitted_at >= since)
    async with sessions() as session:
        return (await session.execute(query)).scalar_one()
