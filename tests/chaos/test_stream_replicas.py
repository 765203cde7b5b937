"""Stream replicas come from each service's settings (`<SERVICE>_STREAM_REPLICAS`) and reach JetStream."""
from __future__ import annotations

from pathlib import Path

import nats
import pytest
from nats.js.errors import APIError

from services.tracker.settings import Settings as TrackerSettings
from shared import subjects
from shared.messaging import ensure_streams, stream_config
from shared.runtime import Runtime
from shared.stream_limits import load_stream_limits

LIMITS = load_stream_limits()[subjects.UPDATES.name]


def test_the_stream_config_carries_the_replica_count() -> None:
    assert stream_config(subjects.UPDATES, LIMITS, 3).num_replicas == 3
    assert stream_config(subjects.UPDATES, LIMITS).num_replicas == 1
    with pytest.raises(ValueError, match="at least 1"):
        stream_config(subjects.UPDATES, LIMITS, 0)


def test_a_service_reads_its_replica_count_from_its_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("TRACKER_STREAM_REPLICAS", "3")
    settings = TrackerSettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 't.db'}")
    assert settings.stream_replicas == 3
    assert Runtime.of("tracker", settings, tmp_path, None).stream_replicas == 3


async def test_the_count_reaches_the_server(nats_server) -> None:  # noqa: ANN001 - tests/conftest.py fixture
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        await ensure_streams(js, replicas=1)
        assert (await js.stream_info(subjects.UPDATES.name)).config.num_replicas == 1
        # One server cannot keep three copies: it says so, which shows the count is what we sent.
        with pytest.raises(APIError) as refused:
            await ensure_streams(js, [subjects.PROJECTS], replicas=3)
        assert refused.value.err_code == 10074  # replicas > 1 not supported in non-clustered mode
    finally:
        await nc.close()
