"""People the county issues: a new token replaces the old one at once, for the API and the console's login."""
from __future__ import annotations

from datetime import UTC, datetime

import httpx
from cases_support import case_app, open_store

from services.escalation.cases.people import add_person, disable_person, rotate_token
from shared.clock import FixedClock


async def test_a_rotated_token_replaces_the_old_one_and_reactivates(database: tuple[str, str | None]) -> None:
    engine, sessions = await open_store(*database)
    try:
        _, first = await add_person(sessions, "330106", "zhou", "周敏", "office")
        await disable_person(sessions, "zhou")
        person, second = await rotate_token(sessions, "zhou")
        assert person.active and second != first
        app = case_app(sessions, FixedClock(datetime(2026, 10, 9, 1, tzinfo=UTC)))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://escalation") as client:
            assert (await client.get("/api/me", headers={"Authorization": f"Bearer {first}"})).status_code == 401
            assert (await client.get("/api/me", headers={"Authorization": f"Bearer {second}"})).json()["login"] == "zhou"
            assert (await client.post("/api/login", json={"login": "zhou", "password": first})).status_code == 401
            assert (await client.post("/api/login", json={"login": "zhou", "password": second})).status_code == 200
    finally:
        await engine.dispose()
