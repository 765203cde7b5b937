"""Bus fixtures: the secured nats-server, intake's bus feed on the services' account, county connections."""
from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from bus_support import COUNTY_A, COUNTY_B, County, Intake, JetStreamOf, SecuredNats, connect_county, services_connection
from intake_support import NOW
from prometheus_client import CollectorRegistry, Histogram

from services.intake.app import MIGRATIONS
from services.intake.bus import start_bus_feed, stop_bus_feed
from services.intake.ingest import Ingest
from services.intake.publishing import Publisher
from shared.clock import FixedClock
from shared.db import make_engine, migrate, session_factory
from shared.messaging import ensure_streams


@pytest.fixture
def secured_nats(tmp_path: Path) -> Iterator[SecuredNats]:
    server = SecuredNats(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def intake(secured_nats: SecuredNats, tmp_path: Path) -> AsyncIterator[Intake]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    await migrate(MIGRATIONS, url, None)
    engine = make_engine(url)
    nc = await services_connection(secured_nats)
    js = nc.jetstream()
    await ensure_streams(js)
    duration = Histogram("bus_test_publish_seconds", "test", registry=CollectorRegistry())
    publisher = Publisher(JetStreamOf(js), duration, timeout=3.0)  # type: ignore[arg-type]
    ingest = Ingest(publisher, session_factory(engine), FixedClock(NOW))
    feed = await start_bus_feed(nc, ingest)
    try:
        yield Intake(nc, js, ingest.sessions, ingest, feed)
    finally:
        await stop_bus_feed(feed)
        await nc.close()
        await engine.dispose()


@pytest.fixture
async def county_a(secured_nats: SecuredNats) -> AsyncIterator[County]:
    county = await connect_county(secured_nats, COUNTY_A)
    yield county
    await county.nc.close()


@pytest.fixture
async def county_b(secured_nats: SecuredNats) -> AsyncIterator[County]:
    county = await connect_county(secured_nats, COUNTY_B)
    yield county
    await county.nc.close()
