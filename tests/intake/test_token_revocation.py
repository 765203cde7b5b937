"""Revoking a county token takes effect on every running intake replica within a second, not after the cache TTL."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.intake.tokens import issue_token, list_tokens
from services.launcher import ServiceProcesses
from shared.db import make_engine, session_factory

COUNTY = "330106"


@pytest.fixture
def replicas(nats_server, tmp_path: Path) -> Iterator[list[ServiceProcesses]]:  # type: ignore[no-untyped-def]
    first = ServiceProcesses(nats_server.url, tmp_path / "a")
    second = ServiceProcesses(nats_server.url, tmp_path / "b", extra_env={"INTAKE_DATABASE_URL": first.database["intake"][0]})
    for replica in (first, second):
        replica.workdir.mkdir()
        replica.start("intake")
    yield [first, second]
    for replica in (first, second):
        replica.stop_all()


def cli(replica: ServiceProcesses, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "INTAKE_DATABASE_URL": replica.database["intake"][0], "INTAKE_NATS_URL": replica.nats_url}
    return subprocess.run([sys.executable, "-m", "services.cli", "intake", *args], env=env, capture_output=True, text=True, timeout=60)


def status(client: httpx.Client, url: str, token: str) -> int:
    return client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code


async def test_a_revoked_and_a_rotated_token_stop_working_on_every_replica_within_a_second(replicas: list[ServiceProcesses]) -> None:
    engine = make_engine(replicas[0].database["intake"][0])
    sessions = session_factory(engine)
    revoked, rotated = await issue_token(sessions, COUNTY, "a"), await issue_token(sessions, "330782", "b")
    first_id = next(info.id for info in await list_tokens(sessions, COUNTY))
    await engine.dispose()
    # One client for every poll: httpx.get makes a client, and loads its CA bundle (~25 ms of CPU), each time.
    with httpx.Client() as client:
        rejected = [f"{replica.url('intake')}/v1/counties/{COUNTY}/rejected" for replica in replicas]
        assert [status(client, url, revoked) for url in rejected] == [200, 200]  # now cached in both (30 s TTL)

        result = cli(replicas[0], "tokens-revoke", str(first_id))
        assert result.returncode == 0 and "refuse them from now on" in result.stdout, result.stdout + result.stderr
        told = time.monotonic()
        while any(status(client, url, revoked) != 401 for url in rejected):
            assert time.monotonic() - told < 1.0, "a replica still accepts the revoked token"
            time.sleep(0.02)

        other = f"{replicas[1].url('intake')}/v1/counties/330782/rejected"
        assert status(client, other, rotated) == 200  # cached
        result = cli(replicas[0], "tokens-rotate", "330782")  # the shared database
        assert result.returncode == 0 and "refuse them from now on" in result.stderr, result.stderr
        told = time.monotonic()
        while status(client, other, rotated) != 401:
            assert time.monotonic() - told < 1.0, "the rotated-out token still works"
            time.sleep(0.02)
        assert status(client, other, result.stdout.strip()) == 200
