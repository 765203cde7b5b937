"""Stream replicas come from each service's settings (`<SERVICE>_STREAM_REPLICAS`) and reach JetStream."""
from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import nats
import pytest
from nats.js.errors import APIError

from services.nats_cluster import NatsCluster
from services.tracker.settings import Settings as TrackerSettings
from shared import subjects
from shared.messaging import PING_INTERVAL_SECONDS, connect, ensure_streams, stream_config
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


async def test_on_a_three_server_cluster_every_stream_has_three_copies_and_survives_its_leader(nats_cluster: NatsCluster) -> None:
    nc = await connect(nats_cluster.url, "test-cluster")  # every server's URL, as the services get them
    try:
        js = nc.jetstream()
        await ensure_streams(js, replicas=3)
        for spec in subjects.STREAMS:
            info = await js.stream_info(spec.name)
            assert info.config.num_replicas == 3
            assert info.cluster is not None and info.cluster.leader in nats_cluster.servers
            assert len(info.cluster.replicas or []) == 2, spec.name  # the two followers
        await js.publish("county.330106.project.updated", b"before", headers={"Nats-Msg-Id": "before"})
        leader = (await js.stream_info("UPDATES")).cluster.leader
        nats_cluster.servers[leader].stop(signal.SIGKILL)
        # Two of three keep the quorum: a new leader is elected and the client reconnects if it was on the dead one.
        ack = None
        for _ in range(100):
            try:
                ack = await js.publish("county.330106.project.updated", b"after", headers={"Nats-Msg-Id": "after"}, timeout=1)
                break
            except Exception:  # election in progress, or reconnecting
                await asyncio.sleep(0.1)
        assert ack is not None and ack.seq == 2
        info = await js.stream_info("UPDATES")
        assert info.cluster.leader != leader and info.state.messages == 2
    finally:
        await nc.close()


async def test_a_client_leaves_a_server_that_stopped_answering(nats_cluster: NatsCluster) -> None:
    """A stopped (hung, cut-off) server keeps the TCP connection open; the unanswered PINGs make the client move on."""
    nc = await connect(nats_cluster.url, "test-stale", ping_interval=1)
    try:
        on = next(name for name, server in nats_cluster.servers.items() if server.port == nc.connected_url.port)
        nats_cluster.pause(on)
        try:
            for _ in range(100):  # 2 unanswered PINGs at 1 s, then a reconnect: a few seconds
                if nc.is_connected and nc.connected_url.port != nats_cluster.servers[on].port:
                    break
                await asyncio.sleep(0.1)
            assert nc.is_connected and nc.connected_url.port != nats_cluster.servers[on].port
            await nc.flush(timeout=2)  # and the new server answers
        finally:
            nats_cluster.resume(on)
    finally:
        await nc.close()


def test_services_ping_their_server_every_few_seconds(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    settings = TrackerSettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 't.db'}")
    assert settings.nats_ping_interval_seconds == PING_INTERVAL_SECONDS <= 10
    monkeypatch.setenv("TRACKER_NATS_PING_INTERVAL_SECONDS", "1")
    settings = TrackerSettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 't.db'}")
    assert Runtime.of("tracker", settings, tmp_path, None).ping_interval == 1
