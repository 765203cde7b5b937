"""Escalation's sign-in on SQLite and PostgreSQL: its own session tokens, logout, disable and rotate end sessions,
throttling per login and per address with every attempt audited, and the address the console names believed
only with the service token."""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
from cases_support import POLICY_FOR, at, open_store
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation.cases.api import CLIENT_ADDRESS, build_case_api
from services.escalation.cases.people import add_person, disable_person, rotate_token
from services.escalation.cases.throttle import Limits
from services.escalation.tables import login_attempts
from shared.clock import FixedClock

SERVICE_TOKEN = "s" * 43


@pytest.fixture
async def api(database: tuple[str, str | None]) -> AsyncIterator[tuple[async_sessionmaker, httpx.AsyncClient, str]]:
    engine, sessions = await open_store(*database)
    _, password = await add_person(sessions, "330106", "fgj", "发改局经办", "department", "发改局")
    app = FastAPI()
    app.include_router(build_case_api(sessions, FixedClock(at(date(2026, 6, 1))), POLICY_FOR, service_token=SERVICE_TOKEN,
                                      limits=Limits(per_login=3, per_address=5)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=("10.0.0.9", 5000)), base_url="http://esc") as client:
        yield sessions, client, password
    await engine.dispose()


async def sign_in(client: httpx.AsyncClient, password: str, login: str = "fgj", **headers: str) -> httpx.Response:
    return await client.post("/api/login", json={"login": login, "password": password}, headers=headers)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_login_issues_a_session_token_never_the_password_and_logout_revokes_it(api) -> None:
    _, client, password = api
    body = (await sign_in(client, password)).json()
    assert body["token"].startswith("tja_") and password not in str(body)
    assert (await client.get("/api/me", headers=bearer(body["token"]))).json()["login"] == "fgj"
    assert (await client.post("/api/logout", headers=bearer(body["token"]))).status_code == 204
    assert (await client.get("/api/me", headers=bearer(body["token"]))).status_code == 401


@pytest.mark.parametrize("end", ["disable", "rotate"])
async def test_disabling_or_rotating_a_person_ends_their_sessions_at_once(api, end: str) -> None:
    sessions, client, password = api
    token = (await sign_in(client, password)).json()["token"]
    await (disable_person(sessions, "fgj") if end == "disable" else rotate_token(sessions, "fgj"))
    assert (await client.get("/api/me", headers=bearer(token))).status_code == 401


async def test_wrong_passwords_are_throttled_per_login_and_every_attempt_is_audited(api) -> None:
    sessions, client, password = api
    assert [(await sign_in(client, "wrong")).status_code for _ in range(3)] == [401, 401, 401]
    refused = await sign_in(client, password)  # even the right password, until the window passes
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    async with sessions() as session:
        outcomes = [tuple(r) for r in await session.execute(select(login_attempts.c.login, login_attempts.c.address, login_attempts.c.outcome)
                                                            .order_by(login_attempts.c.id))]
    assert outcomes == [("fgj", "10.0.0.9", "wrong")] * 3 + [("fgj", "10.0.0.9", "throttled")]


async def test_one_address_trying_many_logins_is_throttled(api) -> None:
    _, client, _ = api
    statuses = [(await sign_in(client, "wrong", login=f"user{n}")).status_code for n in range(6)]
    assert statuses == [401] * 5 + [429]


async def test_the_console_names_the_address_only_with_the_service_token(api) -> None:
    sessions, client, _ = api
    for _ in range(3):  # a stranger claiming to be someone else's address is counted under its own
        await sign_in(client, "wrong", login="other", **{CLIENT_ADDRESS: "192.0.2.1"})
    await sign_in(client, "wrong", login="other2", **{CLIENT_ADDRESS: "192.0.2.7", "Authorization": f"Bearer {SERVICE_TOKEN}"})
    async with sessions() as session:
        addresses = [a for (a,) in await session.execute(select(login_attempts.c.address).order_by(login_attempts.c.id))]
    assert addresses == ["10.0.0.9"] * 3 + ["192.0.2.7"]
