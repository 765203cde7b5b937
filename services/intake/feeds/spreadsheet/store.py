"""Upload persistence: files content-addressed by sha256, jobs with their counts, rejected rows in the quarantine."""
from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.intake.feeds.spreadsheet.mapping import Mapped, Problem
from services.intake.tables import quarantine, stored_files, upload_jobs

# Fixed forever: the same file, county, profile and as_of always name the same job, so an upload is never run twice by accident.
JOB_NAMESPACE = UUID("0b7d5c4e-2f61-5e8a-9c3d-7a1b2c3d4e5f")
PAGE = 500


@dataclass(frozen=True)
class Job:
    job_id: str
    county_code: str
    profile: str
    profile_version: int
    file_sha256: str
    filename: str
    status: str
    rows_total: int
    rows_accepted: int
    rows_rejected: int
    error: str | None
    created_at: datetime
    finished_at: datetime | None

    def notes(self) -> dict[str, Any]:
        # `error` holds JSON notes: the upload's as_of (a restart must rerun with it), who uploaded it, how many
        # runs were started (a run killed mid-way is resumed a few times, not forever) and, once failed, the reasons.
        return json.loads(self.error) if self.error else {}

    @property
    def submitted_by(self) -> str | None:
        return self.notes().get("submitted_by")

    @property
    def runs(self) -> int:
        return int(self.notes().get("runs", 0))

    def failure(self) -> dict[str, Any] | None:
        notes = self.notes()
        return notes if "reason_en" in notes else None

    @property
    def as_of(self) -> datetime | None:
        value = self.notes().get("as_of")
        return datetime.fromisoformat(value) if value else None


def job_id_for(county: str, sha256: str, profile: str, version: int, as_of: datetime | None) -> str:
    return str(uuid5(JOB_NAMESPACE, f"{county}|{sha256}|{profile}|{version}|{as_of.isoformat() if as_of else ''}"))


async def store_file(sessions: async_sessionmaker, county: str, sha256: str, filename: str, content: bytes, now: datetime) -> None:
    async with sessions() as session, session.begin():
        if await session.scalar(select(stored_files.c.sha256).where(stored_files.c.sha256 == sha256)) is None:
            row = {"sha256": sha256, "county_code": county, "filename": filename[:300], "size": len(content), "content": content, "stored_at": now}
            await session.execute(insert(stored_files), [row])


async def file_content(sessions: async_sessionmaker, sha256: str) -> bytes:
    async with sessions() as session:
        return (await session.execute(select(stored_files.c.content).where(stored_files.c.sha256 == sha256))).scalar_one()


async def queue_job(sessions: async_sessionmaker, job: dict[str, Any], as_of: datetime | None,
                    submitted_by: str | None = None) -> tuple[Job, bool]:
    """The job, and whether it must run: new, or failed before (uploading the same file again is the retry)."""
    notes = json.dumps({"as_of": as_of.isoformat() if as_of else None, "submitted_by": submitted_by}, ensure_ascii=False)
    async with sessions() as session, session.begin():
        existing = (await session.execute(select(upload_jobs).where(upload_jobs.c.job_id == job["job_id"]))).first()
        if existing is None:
            row = {**job, "status": "queued", "rows_total": 0, "rows_accepted": 0, "rows_rejected": 0, "error": notes, "finished_at": None}
            await session.execute(insert(upload_jobs), [row])
            return Job(**row), True
        if existing.status == "failed":
            await session.execute(update(upload_jobs).where(upload_jobs.c.job_id == job["job_id"]).values(status="queued", error=notes))
            return Job(**{**existing._asdict(), "status": "queued", "error": notes}), True
        return Job(**existing._asdict()), False


async def get_job(sessions: async_sessionmaker, county: str | None, job_id: str) -> Job | None:
    query = select(upload_jobs).where(upload_jobs.c.job_id == job_id)
    if county is not None:
        query = query.where(upload_jobs.c.county_code == county)
    async with sessions() as session:
        row = (await session.execute(query)).first()
    return Job(**row._asdict()) if row else None


async def recent_jobs(sessions: async_sessionmaker, county: str, limit: int = 50) -> list[Job]:
    query = select(upload_jobs).where(upload_jobs.c.county_code == county).order_by(upload_jobs.c.created_at.desc()).limit(limit)
    async with sessions() as session:
        return [Job(**row._asdict()) for row in (await session.execute(query)).all()]


async def unfinished(sessions: async_sessionmaker) -> list[str]:
    query = select(upload_jobs.c.job_id).where(upload_jobs.c.status.in_(("queued", "running"))).order_by(upload_jobs.c.created_at)
    async with sessions() as session:
        return list((await session.execute(query)).scalars())


async def begin_run(sessions: async_sessionmaker, job: Job, version: int) -> None:
    """A (re)run starts from zero: rows a killed run quarantined are quarantined again, not twice. Counted."""
    notes = json.dumps({**job.notes(), "runs": job.runs + 1}, ensure_ascii=False)
    async with sessions() as session, session.begin():
        await session.execute(delete(quarantine).where(quarantine.c.job_id == job.job_id))
        await session.execute(update(upload_jobs).where(upload_jobs.c.job_id == job.job_id).values(
            status="running", profile_version=version, rows_total=0, rows_accepted=0, rows_rejected=0, finished_at=None, error=notes))


async def progress(sessions: async_sessionmaker, job_id: str, total: int, accepted: int, rejected: int) -> None:
    async with sessions() as session, session.begin():
        await session.execute(update(upload_jobs).where(upload_jobs.c.job_id == job_id).values(
            rows_total=total, rows_accepted=accepted, rows_rejected=rejected))


async def note(sessions: async_sessionmaker, job_id: str, notes: dict[str, Any]) -> None:
    """Add to a job's notes (its column report)."""
    job = await get_job(sessions, None, job_id)
    assert job is not None
    async with sessions() as session, session.begin():
        await session.execute(update(upload_jobs).where(upload_jobs.c.job_id == job_id).values(
            error=json.dumps({**job.notes(), **notes}, ensure_ascii=False)))


async def finish(sessions: async_sessionmaker, job: Job, now: datetime, failure: dict[str, Any] | None = None) -> None:
    job = await get_job(sessions, None, job.job_id) or job  # the notes written while it ran
    kept = {key: value for key, value in job.notes().items() if key in ("as_of", "submitted_by", "columns", "warnings")}
    notes = {**kept, **(failure or {})}
    async with sessions() as session, session.begin():
        await session.execute(update(upload_jobs).where(upload_jobs.c.job_id == job.job_id).values(
            status="failed" if failure else "done", error=json.dumps(notes, ensure_ascii=False), finished_at=now))


async def keep_rejected(sessions: async_sessionmaker, county: str, job_id: str, now: datetime, rows: Sequence[Mapped]) -> None:
    """Each refused row with its cells as written and every reason; the `errors` keep the quarantine's {field, message} shape."""
    if not rows:
        return
    values = [{
        "county_code": county, "received_at": now, "batch_id": job_id, "item_index": row.row, "job_id": job_id, "row_number": row.row,
        "raw_item": json.dumps({"row": row.row, "key": row.key, "cells": row.cells, "problems": [asdict(p) for p in row.problems]},
                               ensure_ascii=False),
        "errors": [{"field": p.field or p.column, "message": f"{p.reason_en} / {p.reason_zh}"} for p in row.problems],
    } for row in rows]
    async with sessions() as session, session.begin():
        await session.execute(insert(quarantine), values)


async def problems(sessions: async_sessionmaker, job: Job) -> AsyncIterator[Problem]:
    """The job's report: a file-level failure first, then every refused row, in row order, page by page."""
    for problem in (job.failure() or {}).get("problems", []):
        yield Problem(**problem)
    after = -1
    while True:
        query = (select(quarantine.c.row_number, quarantine.c.raw_item).where(quarantine.c.job_id == job.job_id)
                 .where(quarantine.c.row_number > after).order_by(quarantine.c.row_number).limit(PAGE))
        async with sessions() as session:
            page = (await session.execute(query)).all()
        for row in page:
            for problem in json.loads(row.raw_item)["problems"]:
                yield Problem(**problem)
        if len(page) < PAGE:
            return
        after = page[-1].row_number
