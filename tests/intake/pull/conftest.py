"""Pull fixtures: the fake county API, intake's database migrated, a publisher on the test's nats-server."""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from prometheus_client import CollectorRegistry, Histogram
from pull_support import FakeCounty, Intake, serving

from services.intake.app import MIGRATIONS
from services.intake.publishing import NatsLink, Publisher
from shared.db import make_engine, migrate, session_factory


@pytest.fixture
async def fake_county() -> AsyncIterator[FakeCounty]:
    async with serving(FakeCounty()) as county:
        yield county


@pytest.fixture
async def intake(database: tuple[str, str | None], nats_server) -> AsyncIterator[Intake]:  # type: ignore[no-untyped-def]
    url, schema = database
    await migrate(MIGRATIONS, url, schema)
    engine = make_engine(url, schema)
    link = NatsLink(nats_server.url, name="intake-pull-test")
    await link.start(wait=5.0)
    duration = Histogram("pull_test_publish_seconds", "test", registry=CollectorRegistry())
    try:
        yield Intake(session_factory(engine), link, Publisher(link, duration, timeout=3.0), nats_server.url)
    finally:
        await link.close()
        await engine.dispose()
