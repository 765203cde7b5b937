"""Intake fixtures: settings on the real database (SQLite and PostgreSQL) and the session's nats-server."""
from __future__ import annotations

import pytest

from services.intake.settings import Settings


@pytest.fixture
def settings(database: tuple[str, str | None], nats_server) -> Settings:  # type: ignore[no-untyped-def]
    url, schema = database
    return Settings(database_url=url, database_schema=schema, nats_url=nats_server.url, publish_timeout_seconds=3.0)
