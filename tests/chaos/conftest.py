"""Sizes of the fault suite, and the throwaway PostgreSQL every scenario runs on.

`make test` runs the short version (N = 1,000 updates, 10 s outages); `make chaos` the full one
(TUIJIN_CHAOS_N=5000 TUIJIN_CHAOS_FULL=1: 30 s database outage, 60 s webhook outage, a JetStream server
stopped for 30 s, the services' real 5 s NATS ping interval, and notifier's real two-minute claim timeout
instead of expiring a dead replica's claims at once).
"""
from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from services.nats_cluster import NatsCluster
from tests.chaos.harness import Cluster, SmtpSink, ThrowawayPostgres, WebhookReceiver, clear_schemas

FULL = os.environ.get("TUIJIN_CHAOS_FULL") == "1"
KEEP = os.environ.get("TUIJIN_CHAOS_KEEP") == "1"  # leave the database running and its schemas, to look at a failure
CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport:
    """Notes on the scenario whether its test failed, for make_cluster's teardown."""
    report = yield
    if report.when == "call":
        item.stash[CALL_FAILED] = report.failed
    return report


@dataclass(frozen=True)
class Sizes:
    n: int
    full: bool
    post_seconds: float  # how long the posting is spread over, so the faults land under load
    db_outage: float
    webhook_outage: float
    partition: float  # how long one server of a JetStream cluster is stopped (SIGSTOP) while the others carry on


SIZES = Sizes(
    n=int(os.environ.get("TUIJIN_CHAOS_N", "5000" if FULL else "1000")),
    full=FULL,
    post_seconds=float(os.environ.get("TUIJIN_CHAOS_POST_SECONDS", "40" if FULL else "12")),
    db_outage=float(os.environ.get("TUIJIN_CHAOS_DB_OUTAGE", "30" if FULL else "10")),
    webhook_outage=float(os.environ.get("TUIJIN_CHAOS_WEBHOOK_OUTAGE", "60" if FULL else "10")),
    partition=float(os.environ.get("TUIJIN_CHAOS_PARTITION", "30" if FULL else "20")),
)


@pytest.fixture(scope="session")
def sizes() -> Sizes:
    return SIZES


@pytest.fixture(scope="session")
def throwaway_pg() -> Iterator[ThrowawayPostgres]:
    pg = ThrowawayPostgres.started()
    yield pg
    if KEEP:
        print(f"\nkept: {pg.url} (data in {pg.dir})")
        return
    pg.destroy()


@pytest.fixture
def nats_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsCluster]:
    """Three nats-servers on loopback routed into one JetStream cluster, a store directory each."""
    cluster = NatsCluster(tmp_path_factory.mktemp("nats-cluster"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
async def make_cluster(throwaway_pg: ThrowawayPostgres, request: pytest.FixtureRequest) -> AsyncIterator[Callable[..., Cluster]]:
    """Builds the scenario's cluster; afterwards stops every process and drops its schemas.

    Its own directory, not pytest's tmp_path: other pytest runs on the box prune old basetemps, which
    took a running scenario's logs and working directory from under its services. A failed scenario's directory
    is kept (its path printed with the failure): the services' logs name every dead letter and why."""
    workdir = Path(tempfile.mkdtemp(prefix="tuijin-chaos-"))
    made: list[tuple[Cluster, str]] = []
    webhook, smtp = WebhookReceiver(), SmtpSink()

    def make(nats_servers: int = 1, **extra_env: str) -> Cluster:
        prefix = f"chaos_{uuid.uuid4().hex[:8]}"
        cluster = Cluster(workdir, throwaway_pg, webhook, smtp, prefix, extra_env, nats_servers=nats_servers)
        made.append((cluster, prefix))
        return cluster

    yield make
    for cluster, prefix in made:
        if not throwaway_pg.running():  # a scenario that failed with the database down
            throwaway_pg.start()
        cluster.stop()
        if not KEEP:
            await clear_schemas(throwaway_pg, prefix)
    webhook.close()
    smtp.close()
    if request.node.stash.get(CALL_FAILED, False):
        print(f"\nthe failed scenario's logs and working directory are kept in {workdir}")
    elif not KEEP:
        shutil.rmtree(workdir, ignore_errors=True)
