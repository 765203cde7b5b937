"""The console on a real database (SQLite and PostgreSQL), its pages served through httpx's ASGI transport."""
from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.console.app import add_pages
from services.console.escalation_api import EscalationApi
from services.console.settings import Settings
from services.console.web import Console, templates
from shared.clock import FixedClock
from shared.db import make_engine, migrate, session_factory
from tests.console.support import FakeEscalation

MIGRATIONS = Path(__file__).resolve().parents[2] / "services" / "console" / "migrations"
# Beijing 2026-03-02 09:00, the day the test projects' land becomes idle.
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@dataclass
class ConsoleUnderTest:
    sessions: async_sessionmaker
    escalation: FakeEscalation
    app: FastAPI
    clock: FixedClock

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://console", follow_redirects=False)

    async def signed_in(self, login: str) -> httpx.AsyncClient:
        return await sign_in(self.app, login, f"pw-{login}")


async def sign_in(app: FastAPI, login: str, password: str, page: str = "/") -> httpx.AsyncClient:
    """A client signed in as `login`, sending the session's CSRF token as htmx does (read from `page`)."""
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://console", follow_redirects=False)
    response = await client.post("/login", data={"login": login, "password": password, "next": "/"})
    assert response.status_code == 303, response.text
    client.headers["X-CSRF-Token"] = csrf_of((await client.get(page)).text)
    return client


def csrf_of(page: str) -> str:
    found = re.search(r'"X-CSRF-Token": "([^"]+)"', page)
    assert found, "the page carries no CSRF token"
    return found.group(1)


@pytest.fixture
async def console(database: tuple[str, str | None]) -> AsyncIterator[ConsoleUnderTest]:
    url, schema = database
    await migrate(MIGRATIONS, url, schema)
    engine = make_engine(url, schema)
    fake = FakeEscalation()
    for login, role, department in (("office", "office", None), ("zrzy", "department", "自然资源局"),
                                    ("zjj", "department", "住建局"), ("chen", "leader", "陈立新"), ("guest", "readonly", None)):
        fake.add_person(login, role, department=department)
    fake.add_person("yiwu", "office", county="330782")
    api = EscalationApi("http://escalation", transport=httpx.ASGITransport(app=fake.app()))
    clock = FixedClock(NOW)
    console = Console(session_factory(engine), api, clock, Settings(_env_file=None), templates())  # type: ignore[call-arg]
    app = add_pages(FastAPI(), console)
    yield ConsoleUnderTest(console.sessions, fake, app, clock)
    await api.close()
    await engine.dispose()
