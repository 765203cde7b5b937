"""Intake test helpers: a running app, unique counties, sample updates."""
from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI

from services.intake.app import create_app
from services.intake.settings import Settings
from shared.clock import FixedClock

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
_used_counties: set[str] = set()


def fresh_county() -> str:
    """A county no other test used: the session's JetStream is shared, so tests count per county.

    Always in Zhejiang (33xxxx), so that `update`'s province-level 项目代码 (region 330000) belongs to it.
    """
    while True:
        county = str(random.randint(330000, 339999))
        if county not in _used_counties:
            _used_counties.add(county)
            return county


def update(record: str, **fields: Any) -> dict[str, Any]:
    return {
        "project_code": "2403-330000-04-01-123456",
        "source_system": "ledger",
        "source_record_id": record,
        "source_record_time": "2026-03-01T09:00:00+08:00",
        "stage": "started",
        **fields,
    }


@asynccontextmanager
async def running(settings: Settings, clock: FixedClock | None = None) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    app = create_app(settings, clock or FixedClock(NOW))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
            yield client, app


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
