"""The read APIs' paging numbers are held to what both databases take: beyond it a 422 naming the parameter, never a 500.

Fuzzing escalation's API found an offset past 2**63 a 500 on SQLite (OverflowError); PostgreSQL refuses a parameter
past 2**31 - 1, and SQLite reads a negative LIMIT as no limit at all (every row in one answer)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from services.escalation.reads import build_reads as escalation_reads
from services.notifier.reads import build_reads as notifier_reads
from services.tracker.reads import build_reads as tracker_reads
from shared.db import make_engine, migrate, session_factory

SERVICES = Path(__file__).resolve().parents[2] / "services"
READS: dict[str, Callable[..., APIRouter]] = {"tracker": tracker_reads, "escalation": escalation_reads, "notifier": notifier_reads}
PATHS = {"tracker": "/internal/counties/330106/projects", "escalation": "/internal/counties/330106/escalations",
         "notifier": "/internal/counties/330106/deliveries"}
REFUSED: list[tuple[str, str, dict[str, Any]]] = [
    *[(service, path, {"offset": offset}) for service, path in PATHS.items() for offset in (-1, 2**31, 12011100206197112065)],
    *[(service, path, {"limit": limit}) for service, path in PATHS.items() for limit in (-5, 0)],
    ("tracker", "/internal/counties/330106/projects/x/history", {"limit": -1}),
]


@pytest.mark.parametrize(("service", "path", "params"), REFUSED, ids=[f"{s}-{p.rsplit('/', 1)[1]}-{q}" for s, p, q in REFUSED])
async def test_a_paging_number_no_database_takes_is_refused(database: tuple[str, str | None], service: str, path: str,
                                                             params: dict[str, Any]) -> None:
    url, schema = database
    await migrate(SERVICES / service / "migrations", url, schema)
    engine = make_engine(url, schema)
    app = FastAPI()
    app.include_router(READS[service](session_factory(engine)))
    (name,) = params
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://reads") as client:
            refused = await client.get(path, params=params)
            served = await client.get(path, params={name: 1})
    finally:
        await engine.dispose()
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["query", name], refused.text
    assert served.status_code in (200, 404), served.text  # the history of a project nobody reported: 404
