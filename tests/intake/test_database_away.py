"""A county system that reaches intake while intake's PostgreSQL is away is told to come back (503 with Retry-After),
not that intake failed (500): nothing it sent was accepted, and the same request will work once the database is back."""
from __future__ import annotations

import pytest
from intake_support import bearer, fresh_county, running, update

from services.intake import tokens
from services.intake.settings import Settings
from tests.chaos.harness import ThrowawayPostgres

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(120)]


async def test_with_its_database_stopped_intake_answers_503_with_retry_after_and_then_works_again(nats_server) -> None:  # noqa: ANN001
    pg = ThrowawayPostgres.started()
    county = fresh_county()
    settings = Settings(database_url=pg.url, database_schema="intake", nats_url=nats_server.url, publish_timeout_seconds=3.0)
    try:
        async with running(settings) as (client, app):
            token = await tokens.issue_token(app.state.runtime.sessions, county, "test")
            rejected, updates = f"/v1/counties/{county}/rejected", f"/v1/counties/{county}/updates"
            assert (await client.get(rejected, headers=bearer(token))).status_code == 200  # the token is cached now
            pg.stop()
            for response in (await client.get(rejected, headers=bearer(token)),
                             await client.post(updates, json=[update("r-1", stage="no such stage")], headers=bearer(token))):
                assert (response.status_code, response.headers.get("Retry-After", "").isdigit()) == (503, True), response.text
            pg.start()
            assert (await client.get(rejected, headers=bearer(token))).status_code == 200
    finally:
        pg.destroy()
