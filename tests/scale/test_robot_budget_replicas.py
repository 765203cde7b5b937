"""Two real notifier replicas share one DingTalk robot's budget: never more than 20 messages in any minute.

DingTalk mutes a custom robot for 10 minutes past 20 messages a minute, whoever sends them. Two
notifier processes consume one durable from a real nats-server and share one SQLite delivery log;
120 escalations for the same robot arrive one every 0.1 s, so each replica has messages for the
robot in hand at once. With a budget per replica each would spend its own 20 (40 in the first minute);
with the shared budget the robot sees at most 20 in any minute and the rest goes out as digests.
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import nats
import pytest

from services.launcher import ServiceProcess, free_port, spawn_service, wait_until_ready
from shared import subjects
from shared.contracts.escalation import EscalationRaised, Recipient
from shared.messaging import headers_for

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(240)]
ROOT = Path(__file__).resolve().parents[2]
COUNTY = "330106"
EVENTS, INTERVAL_SECONDS = 120, 0.1
ROUTING = """county_code = "330106"
county_name = "杭州市西湖区"
project_office = "区重点项目办"

[people."孙海燕"]
title = "区重点项目办 综合协调科科长"
channels = [{{ channel = "file", address = "office/孙海燕.jsonl" }}]

[people."张建国"]
title = "自然资源局 土地利用管理科科长"
channels = [{{ channel = "dingtalk", address = "{robot}" }}]

[departments."区重点项目办"]
people = ["孙海燕"]

[departments."自然资源局"]
people = ["张建国"]
"""


@pytest.fixture
def robot() -> Iterator[tuple[str, list[float]]]:
    """A DingTalk robot endpoint that answers like the real one and notes when each message came."""
    arrivals: list[float] = []

    class Robot(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            arrivals.append(time.monotonic())
            body = json.dumps({"errcode": 0, "errmsg": "ok"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Robot)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/robot/send?access_token=shared-robot", arrivals
    server.shutdown()
    server.server_close()


def raised(n: int) -> EscalationRaised:
    return EscalationRaised(
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"budget-raised-{n}"), occurred_at=datetime.now(UTC), county_code=COUNTY,
        correlation_id=f"{COUNTY}:{n}", escalation_id=uuid.uuid5(uuid.NAMESPACE_URL, f"budget-escalation-{n}"),
        project_id=uuid.uuid5(uuid.NAMESPACE_URL, f"budget-project-{n}"), project_code="2403-330106-04-01-123456",
        project_name=f"城西智能制造产业园{n}期", subject="parcel:XH2025-017", rule_id="R1.idle_land", rule_version=1, level=3,
        level_name="闲置土地(征收闲置费)", as_of=date(2026, 3, 2), evidence={"idle_since": "2026-03-02"},
        recipients=(Recipient(kind="department", name="自然资源局"),), summary=f"城西智能制造产业园{n}期 地块闲置",
    )


def start_replica(env: dict[str, str], port: int, workdir: Path, index: int) -> ServiceProcess:
    return spawn_service("notifier", {**env, "NOTIFIER_PORT": str(port)}, workdir, workdir / f"notifier-{index}.log", die_with_parent=True)


def wait_ready(process: ServiceProcess, port: int, workdir: Path, index: int) -> None:
    log = workdir / f"notifier-{index}.log"
    wait_until_ready(f"http://127.0.0.1:{port}", process, f"notifier {index}", lambda: log.read_text(errors="replace")[-3000:])


def sent_rows(database: Path) -> int:
    with sqlite3.connect(database) as connection:
        return connection.execute("SELECT count(*) FROM deliveries WHERE status = 'sent' AND channel = 'dingtalk'").fetchone()[0]


def robot_sends(port: int) -> float:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics/", timeout=5).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith('notifier_deliveries_total{channel="dingtalk",outcome="sent"}'))


async def publish_trickle(nats_url: str) -> None:
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        for n in range(EVENTS):
            event = raised(n)
            await js.publish(subjects.escalation(COUNTY, "raised"), event.model_dump_json().encode(), headers=headers_for(event))
            await asyncio.sleep(INTERVAL_SECONDS)
    finally:
        await nc.close()


def test_two_replicas_never_send_a_robot_more_than_20_a_minute(nats_server, tmp_path: Path, robot: tuple[str, list[float]]) -> None:  # noqa: ANN001
    address, arrivals = robot
    (tmp_path / "routing").mkdir()
    (tmp_path / "routing" / f"{COUNTY}.toml").write_text(ROUTING.format(robot=address), encoding="utf-8")
    database = tmp_path / "notifier.db"
    env = {**os.environ, "NOTIFIER_NATS_URL": nats_server.url, "NOTIFIER_DATABASE_URL": f"sqlite+aiosqlite:///{database}",
           "NOTIFIER_HOST": "127.0.0.1", "NOTIFIER_ROUTING_DIR": str(tmp_path / "routing"), "NOTIFIER_FILE_ROOT": str(tmp_path)}
    ports = [free_port(), free_port()]
    replicas: list[ServiceProcess] = []
    try:
        for index, port in enumerate(ports, start=1):  # one after the other: the first one migrates the database
            replicas.append(start_replica(env, port, tmp_path, index))
            wait_ready(replicas[-1], port, tmp_path, index)

        asyncio.run(publish_trickle(nats_server.url))
        deadline = time.monotonic() + 120
        while sent_rows(database) < EVENTS:
            assert time.monotonic() < deadline, f"{sent_rows(database)} of {EVENTS} sent"
            time.sleep(0.5)

        busiest = max(sum(1 for t in arrivals if start <= t < start + 60) for start in arrivals)
        assert busiest <= 20, f"{busiest} messages to one robot within a minute"
        assert len(arrivals) < EVENTS  # the limit did bind: the rest went out as digests
        assert all(robot_sends(port) > 0 for port in ports)  # both replicas sent to the robot
    finally:
        for process in replicas:
            process.send_signal(signal.SIGTERM)
        for process in replicas:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
