"""Real parts for tests: a nats-server from the wheel on a free port, SQLite files, PostgreSQL schemas."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.launcher import PORT_RANGE_VARIABLE, free_port, port_range
from shared.runtime import tune_gc


def _worker_ports(worker: str, workers: int) -> str:
    """This xdist worker's slice of free_port's range: two workers never hand the same port to servers about to start
    (what a worker starts inherits its slice)."""
    first, end = port_range()
    size, index = (end - first) // workers, int(worker.removeprefix("gw"))
    return f"{first + index * size}-{first + (index + 1) * size}"


if worker := os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ[PORT_RANGE_VARIABLE] = _worker_ports(worker, int(os.environ["PYTEST_XDIST_WORKER_COUNT"]))

NATS_BINARY = Path(sys.executable).parent / "nats-server"
PG_URL = os.environ.get("TUIJIN_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("TUIJIN_REQUIRE_PG") == "1"


def wait_for_port(port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port}")


class NatsServer:
    """A JetStream server of our own: the system one on 4222 is never touched."""

    def __init__(self, store_dir: Path) -> None:
        self.port = free_port()
        self.store_dir = store_dir
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(NATS_BINARY), "-a", "127.0.0.1", "-p", str(self.port), "-js", "-sd", str(self.store_dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@pytest.fixture(scope="session", autouse=True)
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Fresh SQLite databases are copies of one migrated per service in this worker (tests/support/migrated.py); the
    variable reaches the fork server, which installs the same in the services it forks."""
    from tests.support.migrated import TEMPLATES_VARIABLE, install

    templates = tmp_path_factory.getbasetemp() / "migrated"
    os.environ[TEMPLATES_VARIABLE] = str(templates)
    install(templates)


@pytest.fixture(scope="session", autouse=True)
def preloaded_services(migrated_templates: None) -> Iterator[None]:
    """Service processes fork from imports made once per test worker (tests/support/preloaded.py)."""
    from services import launcher
    from tests.support.preloaded import fork_service

    previous = launcher.use_spawner(fork_service)
    yield
    launcher.use_spawner(previous)


@pytest.fixture
def nats_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """One server per test: streams, durables and the duplicate window start empty (~50 ms)."""
    server = NatsServer(tmp_path_factory.mktemp("nats"))
    server.start()
    yield server
    server.stop()


def _postgres_reachable() -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", 5432)) == 0


@pytest.fixture(scope="session")
def postgres_url() -> str:
    if not _postgres_reachable():
        if REQUIRE_PG:
            pytest.fail("PostgreSQL at 127.0.0.1:5432 is required (TUIJIN_REQUIRE_PG=1) but unreachable")
        pytest.skip("PostgreSQL at 127.0.0.1:5432 not running on this machine (CI makes it mandatory)")
    return PG_URL


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str | None]]:
    """(url, schema) for a fresh database: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'service.db'}", None
        return
    url = request.getfixturevalue("postgres_url")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    yield url, schema
    drop_schema(schema)


def drop_schema(schema: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-q", "-c", f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'],
        check=False, capture_output=True,
    )


SCHEMAS_BEFORE = pytest.StashKey[set[str] | None]()


def _schemas() -> set[str] | None:
    """The test database's schemas now; None where PostgreSQL is not there."""
    if not _postgres_reachable():
        return None
    listed = subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-Atc", "SELECT nspname FROM pg_namespace"],
                            check=False, capture_output=True, text=True)
    return set(listed.stdout.split()) if listed.returncode == 0 else None


def pytest_collection_finish(session: pytest.Session) -> None:
    """The collector as the services run it: what collection imported is frozen out of every scan, and young objects are
    collected per 50,000 allocations, not 700. A worker's heap reaches ~10^6 objects, and each full collection took
    0.2-0.4 s."""
    tune_gc()


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):  # the run as a whole, not each xdist worker
        session.config.stash[SCHEMAS_BEFORE] = _schemas()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A run that passed must leave the shared test database as it found it: a schema left behind stays on every
    developer's and CI's PostgreSQL for good, one more each run."""
    before = session.config.stash.get(SCHEMAS_BEFORE, None)
    if before is None or exitstatus != pytest.ExitCode.OK:
        return
    left = sorted((_schemas() or before) - before)
    if left:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(f"\nFAILED: the tests passed but left {len(left)} PostgreSQL schema(s) behind in database test: {', '.join(left)}")
