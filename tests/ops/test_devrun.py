"""`make run` on the real processes: nothing outlives it, a county's own tokens survive it, the CLI finds it.

Two runs on one ./var: `python -m services.devrun --cluster 3` (three nats-servers, streams at R3)
killed with SIGKILL (its children must still go),
then the real `make run` stopped with SIGTERM like a service manager does. Ports 8100 and 8102 are
held by the test when free, so the run must fall back and say where it went (var/addresses.json).
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Collection, Iterator
from pathlib import Path

import pytest

from services.intake.tokens import TokenInfo, list_tokens
from shared.db import make_engine, session_factory
from shared.messaging import connect

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "tracker", "escalation", "notifier", "console")
COUNTY = "330106"  # a demo county


def descendants(pid: int) -> set[int]:
    """Every live process below `pid` (from /proc: ppid is the 4th field after the parenthesised name)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = (entry / "stat").read_text()
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return {child for child in found if running(child)}


def running(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


@pytest.fixture
def held_ports() -> Iterator[None]:
    """Listen on the preferred ports of intake and escalation (when nobody else does already)."""
    held = []
    for port in (8100, 8102):
        sock = socket.socket()
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
            held.append(sock)
        except OSError:
            sock.close()  # taken by someone else: the run falls back all the same
    yield
    for sock in held:
        sock.close()


def tokens_of(var: Path) -> list[TokenInfo]:
    async def read() -> list[TokenInfo]:
        engine = make_engine(f"sqlite+aiosqlite:///{var / 'intake.db'}")
        try:
            return await list_tokens(session_factory(engine), COUNTY)
        finally:
            await engine.dispose()

    return asyncio.run(read())


async def replicas_of(stream: str, nats_url: str) -> int:
    nc = await connect(nats_url, "test-devrun")
    try:
        return (await nc.jetstream().stream_info(stream)).config.num_replicas
    finally:
        await nc.close()


def cli(var: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TUIJIN_", "INTAKE_", "ESCALATION_"))}
    return subprocess.run([sys.executable, "-m", "services.cli", *args], env={**clean, "TUIJIN_VAR": str(var), **env},
                          capture_output=True, text=True, timeout=120, cwd=ROOT, check=False)


class Run:
    def __init__(self, command: list[str], var: Path) -> None:
        (var / "addresses.json").unlink(missing_ok=True)
        log = open(var.parent / "devrun.log", "ab")  # noqa: SIM115 - closed in stop
        self.log, self.var = log, var
        self.children: set[int] = set()
        # A session of its own, as a service manager would start it: no signal of ours reaches it by accident.
        self.process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "TUIJIN_VAR": str(var)},
                                        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_started(self, children: int, previous_demo_tokens: Collection[int] = ()) -> set[int]:
        """Every service answered and this run's demo tokens are done (the run's own list of them, in var/, is
        written last, after the previous run's are revoked); the runner's processes below it."""
        wait_until(lambda: (self.var / "addresses.json").exists() or self.process.poll() is not None, 180, "addresses.json")
        assert self.process.poll() is None, (self.var.parent / "devrun.log").read_text(errors="replace")[-3000:]

        def demo_tokens_done() -> bool:
            try:
                listed = set(json.loads((self.var / "demo-tokens.json").read_text()))
            except (OSError, ValueError):
                return False
            return bool(listed) and listed.isdisjoint(previous_demo_tokens)

        wait_until(demo_tokens_done, 60, "this run's demo tokens")
        self.children = descendants(self.process.pid)
        assert len(self.children) >= children, self.children
        return self.children

    def ours(self, pid: int) -> bool:
        """Still one of this run's processes (not a recycled pid): every one of them inherited our TUIJIN_VAR."""
        with contextlib.suppress(OSError):
            return f"TUIJIN_VAR={self.var}\0".encode() in (Path("/proc") / str(pid) / "environ").read_bytes()
        return False

    def close(self) -> None:
        """Only when the test failed half-way: nothing of ours may outlive it."""
        if self.process.poll() is None:
            self.process.kill()
        for pid in self.children | descendants(self.process.pid):
            if self.ours(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.log.close()


def test_runner_stops_everything_and_leaves_a_countys_own_tokens(tmp_path: Path, held_ports: None) -> None:
    var = tmp_path / "var"
    var.mkdir()
    first = Run([sys.executable, "-m", "services.devrun", "--cluster", "3"], var)
    try:
        children = first.wait_started(children=8)  # three nats-servers, four services, the console
        addresses = json.loads((var / "addresses.json").read_text())
        assert set(addresses) == {*SERVICES, "nats"}
        assert asyncio.run(replicas_of("UPDATES", addresses["nats"])) == 3  # the services made the streams at R3
        assert addresses["intake"] != "http://127.0.0.1:8100" and addresses["escalation"] != "http://127.0.0.1:8102"
        first.process.send_signal(signal.SIGKILL)  # no cleanup at all: the kernel tells the children
        first.process.wait(10)
        wait_until(lambda: not any(running(pid) for pid in children), 60, "the SIGKILLed runner's children to exit")
    finally:
        first.close()

    # Between runs, the county issues a token of its own for its system (a demo county code all the same).
    issued = cli(var, "intake", "tokens-issue", COUNTY, "--label", "county system", INTAKE_DATABASE_URL=f"sqlite+aiosqlite:///{var / 'intake.db'}")
    assert issued.returncode == 0, issued.stderr
    county_token = issued.stdout.split()[0]

    first_demo = {t.id for t in tokens_of(var) if t.label == "make run demo"}
    second = Run(["make", "-s", "-o", ".venv/.installed-stamp", f"PY={sys.executable}", "run"], var)
    try:
        children = second.wait_started(children=7, previous_demo_tokens=first_demo)  # devrun itself below make, then its six
        addresses = json.loads((var / "addresses.json").read_text())
        by_id = {t.id: t for t in tokens_of(var)}
        assert all(not by_id[token_id].active for token_id in first_demo)  # the demo tokens it issued itself: replaced
        assert [t.label for t in by_id.values() if t.active].count("county system") == 1  # the county's own: kept

        # The CLI finds the fallen-back ports without being told.
        projects = cli(var, "projects", COUNTY, TUIJIN_TOKEN=county_token)
        assert projects.returncode == 0, projects.stderr
        person = cli(var, "escalation", "people", "add", "--county", COUNTY, "--login", "ops_test", "--name", "测试", "--role", "office",
                     ESCALATION_DATABASE_URL=f"sqlite+aiosqlite:///{var / 'escalation.db'}")
        assert person.returncode == 0, person.stderr
        cases = cli(var, "escalation", "case", "list", "--token", person.stdout.split()[-1])
        assert cases.returncode == 0, f"{addresses['escalation']}: {cases.stderr}"

        second.process.send_signal(signal.SIGTERM)  # to make, as a service manager or a script's `kill` would
        assert second.process.wait(90) is not None
        wait_until(lambda: not any(running(pid) for pid in children), 60, "make run's processes to exit")
        assert "正在停止（SIGTERM）" in (tmp_path / "devrun.log").read_text(errors="replace")
    finally:
        second.close()
