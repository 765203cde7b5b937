"""Streams carry the limits of config/streams.toml on a real nats-server, old streams are brought to them, and a full one drops its oldest."""
from __future__ import annotations

from pathlib import Path

import nats
import pytest
from nats.js.api import DiscardPolicy, StreamConfig

from services.launcher import NatsProcess
from shared import subjects
from shared.messaging import StreamsDoNotFit, ensure_streams
from shared.stream_limits import DAY_SECONDS, StreamLimits, load_stream_limits


async def test_every_stream_gets_its_configured_limits(nats_server) -> None:  # noqa: ANN001 - tests/conftest.py fixture
    wanted = load_stream_limits()
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        await ensure_streams(js)
        for spec in subjects.STREAMS:
            config = (await js.stream_info(spec.name)).config
            limits = wanted[spec.name]
            assert (config.max_age, config.max_bytes, config.duplicate_window, config.discard) == (
                limits.max_age_seconds, limits.max_bytes, limits.duplicate_window_seconds, DiscardPolicy.OLD), spec.name
        assert (await js.stream_info("UPDATES")).config.max_age == 30 * DAY_SECONDS
        assert (await js.stream_info("ESCALATIONS")).config.max_age > (await js.stream_info("UPDATES")).config.max_age
    finally:
        await nc.close()


async def test_a_stream_made_without_limits_is_brought_to_them(nats_server) -> None:  # noqa: ANN001
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        # As every release before this one declared it: no age, no size, a 2-minute duplicate window.
        await js.add_stream(StreamConfig(name="UPDATES", subjects=list(subjects.UPDATES.subjects), duplicate_window=120))
        await js.publish("county.330106.project.updated", b"kept", headers={"Nats-Msg-Id": "one"})
        await ensure_streams(js, [subjects.UPDATES])
        info = await js.stream_info("UPDATES")
        assert (info.config.max_age, info.config.max_bytes) == (30 * DAY_SECONDS, load_stream_limits()["UPDATES"].max_bytes)
        assert info.config.duplicate_window == 300
        assert info.state.messages == 1  # updating the limits keeps what the stream holds
    finally:
        await nc.close()


async def test_a_full_stream_drops_its_oldest_and_keeps_accepting(nats_server) -> None:  # noqa: ANN001
    small = {"UPDATES": StreamLimits(max_age_seconds=DAY_SECONDS, max_bytes=64 * 1024, duplicate_window_seconds=60)}
    nc = await nats.connect(nats_server.url)
    try:
        js = nc.jetstream()
        await ensure_streams(js, [subjects.UPDATES], limits=small)
        for number in range(200):  # ~200 KiB into a 64 KiB stream
            ack = await js.publish("county.330106.project.updated", b"x" * 1024, headers={"Nats-Msg-Id": f"update-{number}"})
            assert ack.seq == number + 1  # stored: a full stream never refuses intake
        state = (await js.stream_info("UPDATES")).state
        assert state.bytes <= 64 * 1024
        assert state.last_seq == 200 and state.first_seq > 1  # the newest kept, the oldest gone
        again = await js.publish("county.330106.project.updated", b"x" * 1024, headers={"Nats-Msg-Id": "update-199"})
        assert again.duplicate  # inside the duplicate window: stored once
    finally:
        await nc.close()


async def test_a_server_too_small_for_the_limits_is_said_plainly(tmp_path: Path) -> None:
    """JetStream reserves each stream's max_bytes up front: on a server with less storage the services stop at
    start with what to change, instead of a bare 'insufficient storage resources available'."""
    conf = tmp_path / "small.conf"
    conf.write_text("jetstream { max_file_store: 1GB }\n")
    server = NatsProcess(tmp_path / "store", extra_args=["-c", str(conf)])
    server.start()
    try:
        nc = await nats.connect(server.url)
        try:
            with pytest.raises(StreamsDoNotFit, match="max_file_store"):
                await ensure_streams(nc.jetstream())  # 3.4 GiB of max_bytes
        finally:
            await nc.close()
    finally:
        server.stop()
