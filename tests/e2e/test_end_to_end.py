"""End to end with real processes: a county posts over HTTP, people get notified, nothing lost or doubled."""
from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import nats
import pytest

from services.intake.tokens import issue_token
from services.launcher import ServiceProcesses as Pipeline
from shared import subjects
from shared.db import make_engine, session_factory
from tests.conftest import drop_schema

pytestmark = pytest.mark.e2e
COUNTY = "330106"
# Beijing 2026-03-02: the first idle day of land agreed to start on 2025-03-01.
CLOCK = "fixed:2026-03-02T09:00:00+08:00"


def idle_parcel(n: int, record: str = "a") -> dict:
    """Project n: its land agreed to start 2025-03-01 and never started, so idle as of the clock."""
    return {
        "project_code": f"2403-{COUNTY}-04-01-{n:06d}", "name": f"西湖区产业项目{n}号", "stage": "signed",
        "leader": "陈立新", "lead_department": "发改局", "responsible_unit": "住建局",
        "land_parcel": {"parcel_id": f"XH-{n}", "agreed_start_date": "2025-03-01", "land_price_fen": 5_000_000_00},
        "source_system": "自然资源局土地供应台账", "source_record_id": f"{n}-{record}",
        "source_record_time": (datetime(2026, 2, 1, tzinfo=UTC) + timedelta(minutes=n)).isoformat(),
    }


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def pipeline(request: pytest.FixtureRequest, nats_server, tmp_path: Path) -> Iterator[Pipeline]:
    if request.param == "postgres":
        url, prefix = request.getfixturevalue("postgres_url"), f"e2e_{uuid.uuid4().hex[:8]}"
    else:
        url, prefix = None, "unused"
    # What a killed tracker had in hand comes back after its durable's ack wait: 5 s here instead of 30.
    running = Pipeline(nats_server.url, tmp_path, url, prefix, {"ESCALATION_CLOCK": CLOCK, "ESCALATION_SWEEP_INTERVAL_SECONDS": "2",
                                                               "TRACKER_NATS_ACK_WAIT_SECONDS": "5"})
    running.start_all()
    yield running
    running.stop_all()
    if url:
        for name in ("intake", "tracker", "escalation", "notifier"):
            drop_schema(f"{prefix}_{name}")


async def token_for(pipeline: Pipeline) -> str:
    url, schema = pipeline.database["intake"]
    engine = make_engine(url, schema)
    try:
        return await issue_token(session_factory(engine), COUNTY, "e2e")
    finally:
        await engine.dispose()


async def wait_for(client: httpx.AsyncClient, path: str, key: str, count: int, timeout: float = 60, **params) -> list[dict]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        rows = (await client.get(path, params={"limit": 2000, **params})).json()[key]
        if len(rows) >= count or asyncio.get_running_loop().time() > deadline:
            return rows
        await asyncio.sleep(0.2)


async def all_delivered(client: httpx.AsyncClient, nats_url: str, timeout: float = 60) -> list[dict]:
    """The sent deliveries once everything raised has gone through: the escalation and case events are published,
    notifier's durables have none pending, and no delivery waits to be sent (counting earlier races the worker)."""
    deadline = asyncio.get_running_loop().time() + timeout
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        while True:
            streams = [await js.stream_info(name) for name in (subjects.ESCALATIONS.name, subjects.CASES.name)]
            consumers = [await js.consumer_info(subjects.ESCALATIONS.name, subjects.NOTIFIER_ON_ESCALATION),
                         await js.consumer_info(subjects.CASES.name, subjects.NOTIFIER_ON_CASE)]
            rows = (await client.get(f"/v1/counties/{COUNTY}/deliveries", params={"limit": 2000})).json()["deliveries"]
            if (all(s.state.messages >= 3 for s in streams) and all(c.num_pending == 0 and c.num_ack_pending == 0 for c in consumers)
                    and rows and all(row["status"] == "sent" for row in rows)):
                return rows
            assert asyncio.get_running_loop().time() < deadline, f"not all delivered: {[r['status'] for r in rows]}"
            await asyncio.sleep(0.2)
    finally:
        await nc.close()


async def settled_since(pipeline: Pipeline, since: float, timeout: float = 60) -> None:
    """Escalation has finished a sweep that began after `since` (wall clock) and no durable has anything pending or
    in flight: whatever the moment `since` could still cause has happened."""
    durables = [(subjects.UPDATES.name, subjects.TRACKER_ON_PROJECT_UPDATED), (subjects.PROJECTS.name, subjects.ESCALATION_ON_PROJECT_CHANGED),
                (subjects.ESCALATIONS.name, subjects.NOTIFIER_ON_ESCALATION), (subjects.CASES.name, subjects.NOTIFIER_ON_CASE)]
    deadline = asyncio.get_running_loop().time() + timeout
    nc = await nats.connect(pipeline.nats_url)
    try:
        js = nc.jetstream()
        # No kept-alive connection: the server may close an idle one just as the next poll reuses it.
        async with httpx.AsyncClient(base_url=pipeline.url("escalation"), timeout=10,
                                     limits=httpx.Limits(max_keepalive_connections=0)) as escalation:
            swept = False
            while True:
                if not swept:  # rounds start 2 s after the last ended: one ending 2.5 s after `since` began after it
                    metrics = (await escalation.get("/metrics/")).text
                    last = [line for line in metrics.splitlines() if line.startswith("escalation_last_sweep_timestamp_seconds ")]
                    swept = bool(last) and float(last[0].split()[1]) > since + 2.5
                infos = [await js.consumer_info(stream, durable) for stream, durable in durables]
                if swept and all(i.num_pending == 0 and i.num_ack_pending == 0 for i in infos):
                    return
                assert asyncio.get_running_loop().time() < deadline, \
                    f"not settled: swept={swept} {[(i.name, i.num_pending, i.num_ack_pending) for i in infos]}"
                await asyncio.sleep(0.2)
    finally:
        await nc.close()


def notification_lines(workdir: Path) -> list[dict]:
    files = (workdir / "var" / "notifier" / "outbox").rglob("*.jsonl")
    return [json.loads(line) for f in files for line in f.read_text(encoding="utf-8").splitlines()]


async def test_posted_updates_come_out_as_notifications_once(pipeline: Pipeline) -> None:
    token = await token_for(pipeline)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=pipeline.url("intake"), headers=headers, timeout=30) as client:
        batch = [idle_parcel(n) for n in range(1, 4)] + [{"project_code": "not-a-code", "source_system": "x"}]
        response = await client.post(f"/v1/counties/{COUNTY}/updates", json=batch)
        assert response.status_code == 202
        assert [r["status"] for r in response.json()["results"]] == ["accepted"] * 3 + ["rejected"]

        escalations = await wait_for(client, f"/v1/counties/{COUNTY}/escalations", "escalations", 3)
        assert sorted(e["level_name"] for e in escalations) == ["闲置土地(征收闲置费)"] * 3
        assert {e["evidence"]["idle_since"] for e in escalations} == {"2026-03-02"}

        sent = await all_delivered(client, pipeline.nats_url)
        per_escalation = len(sent) // 3
        assert per_escalation >= 1 and len(sent) == per_escalation * 3
        lines = notification_lines(pipeline.workdir)
        assert sorted(line["delivery_key"] for line in lines) == sorted(d["delivery_key"] for d in sent)
        assert all("闲置" in line["title"] + line["text"] for line in lines)

        # The county system posts the same records again: same event ids, nothing new anywhere.
        reposted = time.time()
        again = await client.post(f"/v1/counties/{COUNTY}/updates", json=batch[:3])
        assert [r["event_id"] for r in again.json()["results"]] == [r["event_id"] for r in response.json()["results"][:3]]
        await settled_since(pipeline, reposted)
        assert len((await client.get(f"/v1/counties/{COUNTY}/deliveries", params={"limit": 2000})).json()["deliveries"]) == len(sent)
        assert len(notification_lines(pipeline.workdir)) == len(lines)

        rejected = (await client.get(f"/v1/counties/{COUNTY}/rejected")).json()["items"]
        assert any(error["field"] == "project_code" for error in rejected[0]["errors"])


async def test_a_killed_tracker_loses_and_doubles_nothing(pipeline: Pipeline) -> None:
    token = await token_for(pipeline)
    async with httpx.AsyncClient(base_url=pipeline.url("intake"), headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
        first = [idle_parcel(n) for n in range(1, 41)]
        assert (await client.post(f"/v1/counties/{COUNTY}/updates", json=first)).status_code == 202
        pipeline.kill("tracker")  # mid-stream, without a graceful shutdown
        second = [idle_parcel(n) for n in range(41, 81)]
        assert (await client.post(f"/v1/counties/{COUNTY}/updates", json=second)).status_code == 202  # JetStream holds them
        pipeline.start("tracker")

        projects = await wait_for(client, f"/v1/counties/{COUNTY}/projects", "projects", 80)
        assert len(projects) == 80 and {p["version"] for p in projects} == {1}
        escalations = await wait_for(client, f"/v1/counties/{COUNTY}/escalations", "escalations", 80)
        assert len(escalations) == 80
        assert len({(e["project_id"], e["rule_id"], e["subject"]) for e in escalations}) == 80
