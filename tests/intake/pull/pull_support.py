"""A fake county HTTP API served by uvicorn on a free 127.0.0.1 port, paging its records behind a cursor."""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import nats
import uvicorn
from fastapi import FastAPI, Header, HTTPException
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.intake.publishing import NatsLink, Publisher
from shared import subjects
from shared.contracts import ProjectUpdated
from shared.subjects import UPDATES
from tests.conftest import free_port

TOKEN = "county-secret"


@dataclass
class Intake:
    """What the pull scheduler needs from intake's runtime."""

    sessions: async_sessionmaker
    link: NatsLink
    publisher: Publisher
    nats_url: str


@dataclass
class FakeCounty:
    """Records in order; the cursor is the sequence number of the last record the caller has seen."""

    records: list[dict[str, Any]] = field(default_factory=list)
    failures: int = 0  # answer 500 to this many requests, then serve again
    requests: list[str | None] = field(default_factory=list)  # the cursor of every request, in order
    url: str = ""

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.get("/api/changes")
        async def changes(limit: int, since: int | None = None, x_api_key: str | None = Header(default=None)) -> Any:
            if x_api_key != f"Key {TOKEN}":
                raise HTTPException(401, "bad key")
            self.requests.append(None if since is None else str(since))
            if self.failures > 0:
                self.failures -= 1
                raise HTTPException(500, "the county database is down")
            start = since or 0
            page = self.records[start:start + limit]
            # The next cursor resumes after the page; on an empty page it stays where it was.
            return {"data": {"records": page, "next": start + len(page) if page else since}}

        return app


@asynccontextmanager
async def serving(county: FakeCounty) -> AsyncIterator[FakeCounty]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(county.app(), host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    county.url = f"http://127.0.0.1:{port}/api/changes"
    try:
        yield county
    finally:
        server.should_exit = True
        await task


def record(county: str, number: int, **fields: Any) -> dict[str, Any]:
    """A realistic ledger record of the county, without source_system (the adapter stamps the configured one)."""
    return {
        "project_code": f"2409-{county}-04-01-266031",
        "source_record_id": f"TZ-{number:04d}",
        "source_record_time": f"2025-03-{1 + number % 28:02d}T09:00:00+08:00",
        "ledger_month": "2025-02",
        "investment_month_fen": 1_000_000 * number,
        **fields,
    }


async def stored_ids(nats_url: str, county: str) -> list[str]:
    """source_record_id of every message JetStream keeps for the county's updates, in stream order."""
    subject = subjects.project_updated(county)
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(UPDATES.name, subjects_filter=subject)
        count = (info.state.subjects or {}).get(subject, 0)
        if not count:
            return []
        messages = await (await js.pull_subscribe(subject, stream=UPDATES.name)).fetch(count, timeout=2)
        return [ProjectUpdated.model_validate_json(m.data).update.source_record_id for m in messages]
    finally:
        await nc.close()
