"""The doors of the console and escalation, probed on the real processes (nats-server, escalation, console):
no default secret, server-side sessions, disabling ends sessions on every replica, throttled and audited
sign-in, the service token on /internal/*, and the security headers."""
from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import text

from services.escalation.cases.people import add_person
from services.launcher import NatsProcess, ServiceProcess, ServiceProcesses, free_port, spawn_service, wait_until_ready
from shared.db import make_engine, session_factory
from shared.tls import client_tls

# Only what main already had is imported, and escalation's tables are read with SQL: the same file ran against main
# (PYTHONPATH pointing at a checkout of it) to see each test fail there.
pytestmark = pytest.mark.e2e
COUNTY, OTHER = "330106", "330782"
OLD_COMPOSE_SECRET = "change-me-for-anything-but-a-laptop"  # what docker-compose.yml fell back to


@dataclass
class Doors:
    running: ServiceProcesses
    passwords: dict[str, str]
    replica: str  # a second console process on the same database

    @property
    def console(self) -> str:
        return self.running.url("console")

    @property
    def escalation(self) -> str:
        return self.running.url("escalation")

    def client(self, base: str | None = None, cookies: dict[str, str] | None = None) -> httpx.Client:
        return httpx.Client(base_url=base or self.console, follow_redirects=False, timeout=30, cookies=cookies, verify=client_tls())

    def sign_in(self, login: str, base: str | None = None) -> httpx.Client:
        client = self.client(base)
        response = client.post("/login", data={"login": login, "password": self.passwords[login], "next": "/projects"})
        assert response.status_code == 303, response.text
        return client

    def rows(self, sql: str, **params: str) -> list[tuple]:
        async def run() -> list[tuple]:
            engine = make_engine(*self.running.database["escalation"])
            try:
                async with session_factory(engine)() as session:
                    return [tuple(r) for r in await session.execute(text(sql), params)]
            finally:
                await engine.dispose()
        return asyncio.run(run())


async def _people(running: ServiceProcesses) -> dict[str, str]:
    engine = make_engine(*running.database["escalation"])
    try:
        passwords = {}
        for login, county, role in (("office", COUNTY, "office"), ("leaver", COUNTY, "department"), ("tries", COUNTY, "office"),
                                    ("yiwu", OTHER, "office"), ("quits", COUNTY, "readonly")):
            _, passwords[login] = await add_person(session_factory(engine), county, login, f"{login}同志", role,
                                                   "发改局" if role == "department" else None)
        return passwords
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def doors(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Doors]:
    workdir = tmp_path_factory.mktemp("doors")
    nats = NatsProcess(workdir / "nats")
    nats.start()
    # CONSOLE_SESSION_SECRET as the old compose file set it: it must no longer mean anything.
    running = ServiceProcesses(nats.url, workdir, console=True, extra_env={"CONSOLE_SESSION_SECRET": OLD_COMPOSE_SECRET})
    replica: ServiceProcess | None = None
    try:
        for name in ("escalation", "console", "tracker", "notifier"):
            running.start(name)
        env = {**running.env("console"), "CONSOLE_PORT": str(free_port())}
        replica = spawn_service("console", env, workdir)
        replica_url = f"http://127.0.0.1:{env['CONSOLE_PORT']}"
        wait_until_ready(replica_url, replica, "the second console", lambda: "")
        yield Doors(running, asyncio.run(_people(running)), replica_url)
    finally:
        if replica and replica.poll() is None:
            replica.terminate()
            replica.wait(30)
        running.stop_all()
        nats.stop()


def csrf_of(page: str) -> str:
    found = re.search(r'"X-CSRF-Token": "([^"]+)"', page)
    return found.group(1) if found else ""


@pytest.mark.parametrize("service", ["escalation", "console", "intake"])
def test_a_service_without_its_secret_refuses_to_start_and_says_why(tmp_path: Path, service: str) -> None:
    running = ServiceProcesses("nats://127.0.0.1:1", tmp_path, console=True, extra_env={f"{service.upper()}_SERVICE_TOKEN": ""})
    env = running.env(service)
    done = subprocess.run([sys.executable, "-c", f"from services.{service}.app import main; main()"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert f"refusing to start: {service.upper()}_SERVICE_TOKEN" in done.stderr and "tuijin secrets init" in done.stderr


def test_a_cookie_forged_with_the_old_default_secret_reads_nothing(doors: Doors) -> None:
    """The cookie used to be a signed copy of the viewer (county, role, token): forging it read another county."""
    viewer = {"person_id": "x", "county_code": OTHER, "login": "x", "name": "x", "role": "office", "department": None, "token": "x"}
    data = base64.b64encode(json.dumps({"viewer": viewer}).encode())
    forged = TimestampSigner(OLD_COMPOSE_SECRET).sign(data).decode()
    for name in ("tuijin_console", "tuijin_session"):
        with doors.client(cookies={name: forged}) as client:
            for path in ("/projects", "/projects.xlsx"):
                response = client.get(path)
                assert response.status_code == 303 and response.headers["location"].startswith("/login"), (name, path)


def test_the_cookie_is_an_opaque_session_id_and_logout_revokes_the_session(doors: Doors) -> None:
    client = doors.sign_in("office")
    cookie = client.cookies["tuijin_session"]
    assert doors.passwords["office"] not in cookie and COUNTY not in cookie and len(cookie) >= 40
    page = client.get("/projects")
    assert page.status_code == 200
    live_sessions = "SELECT token_hash FROM person_sessions WHERE revoked_at IS NULL"
    sessions_before = doors.rows(live_sessions)
    assert client.post("/logout", headers={"X-CSRF-Token": csrf_of(page.text)}).status_code == 303
    assert doors.client(cookies={"tuijin_session": cookie}).get("/projects").status_code == 303  # the old cookie is dead
    live = doors.rows(live_sessions)
    assert len(live) == len(sessions_before) - 1  # escalation's session ended too
    login = httpx.post(f"{doors.escalation}/api/login", json={"login": "office", "password": doors.passwords["office"]}, timeout=30)
    assert login.status_code == 200 and doors.passwords["office"] not in login.text


def test_disabling_a_person_ends_their_sessions_at_once_on_every_replica(doors: Doors) -> None:
    first, second = doors.sign_in("leaver"), doors.sign_in("leaver", doors.replica)
    assert first.get("/projects").status_code == 200 and second.get("/projects.xlsx").status_code == 200
    env = {**os.environ, **doors.running.env("escalation")}
    cli = subprocess.run([str(Path(sys.executable).parent / "tuijin"), "escalation", "people", "disable", "leaver"], env=env,
                         capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0, cli.stderr
    for client, path in ((first, "/projects"), (second, "/projects.xlsx"), (first, "/cases")):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), path


def test_wrong_passwords_are_throttled_per_login_and_audited(doors: Doors) -> None:
    with doors.client() as client:
        statuses = [client.post("/login", data={"login": "tries", "password": "wrong"}).status_code for _ in range(5)]
        right = client.post("/login", data={"login": "tries", "password": doors.passwords["tries"]})
    assert statuses == [401] * 5 and right.status_code == 429
    audit = doors.rows("SELECT address, outcome FROM login_attempts WHERE login = :login ORDER BY id", login="tries")
    assert audit == [("127.0.0.1", "wrong")] * 5 + [("127.0.0.1", "throttled")]


def test_escalation_s_internal_doors_need_the_service_token(doors: Doors) -> None:
    token = getattr(doors.running, "service_token", "main had none")
    for path in (f"/internal/counties/{COUNTY}/escalations", f"/internal/counties/{COUNTY}/bulletins"):
        assert httpx.get(f"{doors.escalation}{path}", timeout=30).status_code == 401
        assert httpx.get(f"{doors.escalation}{path}", headers={"Authorization": "Bearer guessed"}, timeout=30).status_code == 401
        assert httpx.get(f"{doors.escalation}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=30).status_code == 200
    publish = httpx.post(f"{doors.escalation}/internal/counties/{COUNTY}/bulletins/2026-02", timeout=30)
    assert publish.status_code == 401


def test_tracker_s_and_notifier_s_internal_doors_need_it_where_the_deployment_gives_it(doors: Doors) -> None:
    token = getattr(doors.running, "service_token", "main had none")
    for service, resource in (("tracker", "projects"), ("notifier", "deliveries")):
        url = f"{doors.running.url(service)}/internal/counties/{COUNTY}/{resource}"
        assert httpx.get(url, timeout=30).status_code == 401, service
        assert httpx.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=30).status_code == 200, service


def test_every_console_response_carries_the_security_headers(doors: Doors) -> None:
    with doors.client() as client:
        for path in ("/login", "/static/htmx.min.js", "/projects"):
            headers = client.get(path).headers
            csp = headers["content-security-policy"]
            assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0], path
            assert "frame-ancestors 'none'" in csp and headers["x-frame-options"] == "DENY", path
            assert headers["referrer-policy"] == "same-origin", path
