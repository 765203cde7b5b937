"""Jepsen-style faults against the real processes: nothing acknowledged is lost, nothing is applied or
recorded twice, and a physical send is repeated only in notifier's crash window (counted, printed).

Each scenario posts its updates over HTTP as county systems do (re-posting what was not answered 2xx),
injects its faults while the posting runs, waits until JetStream's durables, the outboxes and the
delivery log are settled, and judges the run by the ledger (tests/chaos/harness.py), printed as one
line per scenario (`pytest tests/chaos -s` shows them). Sizes: tests/chaos/conftest.py.
"""
from __future__ import annotations

import asyncio
import json
import signal
import time
import uuid
from collections.abc import Callable

import nats
import pytest

from services.launcher import NAMES
from services.nats_cluster import NatsCluster
from shared import subjects
from tests.chaos.conftest import SIZES
from tests.chaos.harness import COUNTIES, Cluster, Ledger, Poster, Workload, drained_since, read_ledger, settle, tracker_processed

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.timeout(1500 if SIZES.full else 300)]
# Under xdist (make test: --dist loadgroup) the scenarios take turns on two workers, each worker with its own throwaway
# PostgreSQL: at about a minute each, one worker alone would be the suite's critical path, and more at once would
# starve the timed outages on a 2-core box.
FIRST, SECOND = pytest.mark.xdist_group("chaos-1"), pytest.mark.xdist_group("chaos-2")
# JetStream's durables must be drained this soon after the last fault (the bound).
DRAIN_BOUND_SECONDS = 60
# notifier claims up to 200 rows per round: at most that many can be in the crash window of one interruption.
CLAIM_ROUND = 200
# How long settling may take: redelivery delays reach 60 s after a long outage, webhook backoff 64 s,
# and in the full run a dead notifier's claims are waited out for real (120 s).
SETTLE_SECONDS = 150 + (150 if SIZES.full else 0)


async def run(cluster: Cluster, workload: Workload, faults, *, parallel: int = 1, seconds: float | None = None) -> Poster:  # noqa: ANN001
    """Post the workload while `faults` (a coroutine function) runs; both must finish."""
    await cluster.start()
    poster = Poster(cluster, workload, seconds=SIZES.post_seconds if seconds is None else seconds, parallel=parallel)
    await asyncio.gather(poster.run(), faults())
    return poster


async def judge(scenario: str, cluster: Cluster, poster: Poster, workload: Workload, dead_letters: int = 0,
                interruptions: int = 0) -> Ledger:
    # Drained is measured from the last fault or, where updates still arrive after it (a partition is ridden out under
    # load), from the last update: until the load stops, a durable always holds the newest updates.
    drained, settled = await settle(cluster, SETTLE_SECONDS, fast_claims=not SIZES.full, since=max(cluster.last_fault, poster.finished_at))
    ledger = await read_ledger(cluster, poster.acked, workload.expected, drained)
    print("\n" + ledger.line(scenario) + f" n={workload.total} reposts={poster.retries} deliveries_settled_seconds={settled:.1f}")
    assert poster.posted == workload.total
    ledger.assert_clean(expected_dead_letters=dead_letters)
    assert ledger.escalations == len(workload.expected), "one idle-land escalation per project"
    assert drained <= DRAIN_BOUND_SECONDS, f"durables drained {drained:.1f}s after the last fault"
    # A repeated send needs a send that was not recorded: notifier killed or stopped, or its database away.
    assert ledger.unrecorded_resends <= CLAIM_ROUND * interruptions, (
        f"{ledger.unrecorded_resends} unrecorded resends with {interruptions} interruptions")
    return ledger


async def in_thread(fault, *args) -> None:  # noqa: ANN001
    await asyncio.to_thread(fault, *args)


@SECOND
async def test_a_processes_killed(make_cluster, sizes) -> None:  # noqa: ANN001
    """nats-server SIGKILLed and restarted twice (same store, same port), tracker killed -9 three times,
    escalation and notifier once each."""
    cluster, workload = make_cluster(), Workload.build(sizes.n)

    async def faults() -> None:
        schedule = [(cluster.kill_nats,), (cluster.kill, "tracker"), (cluster.kill, "notifier"), (cluster.kill, "tracker"),
                    (cluster.kill_nats,), (cluster.kill, "escalation"), (cluster.kill, "tracker")]
        for fault, *args in schedule:
            await asyncio.sleep(1.0)
            await in_thread(fault, *args)

    poster = await run(cluster, workload, faults, seconds=max(sizes.post_seconds, 25))
    await judge("a-kill", cluster, poster, workload, interruptions=1)


@FIRST
async def test_b_database_stopped_under_load(make_cluster, sizes) -> None:  # noqa: ANN001
    """The throwaway PostgreSQL stopped (-m fast) for the outage, then started again, while updates arrive."""
    cluster, workload = make_cluster(), Workload.build(sizes.n)

    async def faults() -> None:
        await asyncio.sleep(3)
        await in_thread(cluster.pg.stop)
        await asyncio.sleep(sizes.db_outage)
        await in_thread(cluster.pg.start)
        cluster.last_fault = time.monotonic()

    poster = await run(cluster, workload, faults, seconds=max(sizes.post_seconds, sizes.db_outage + 6))
    # Recording a round of sends waits for the database while its claims hold: nothing goes out again.
    await judge("b-database", cluster, poster, workload)


@FIRST
async def test_c_receivers_failing(make_cluster, sizes) -> None:  # noqa: ANN001
    """The webhook answers 503 and the SMTP server 451 for the outage; afterwards every delivery is recorded once."""
    cluster, workload = make_cluster(), Workload.build(sizes.n)

    async def faults() -> None:
        await asyncio.sleep(1)
        cluster.webhook.failing = cluster.smtp.failing = True
        await asyncio.sleep(sizes.webhook_outage)
        cluster.webhook.failing = cluster.smtp.failing = False
        cluster.last_fault = time.monotonic()

    poster = await run(cluster, workload, faults)
    ledger = await judge("c-receivers", cluster, poster, workload)
    assert cluster.webhook.refused and cluster.smtp.refused, "the outage must have refused deliveries"
    assert ledger.resends == 0


@SECOND
async def test_d_rolling_restart(make_cluster, sizes) -> None:  # noqa: ANN001
    """SIGTERM each service in turn with messages in flight, as a rolling deployment does."""
    cluster, workload = make_cluster(), Workload.build(sizes.n)

    async def faults() -> None:
        for name in NAMES:
            await asyncio.sleep(1.0)
            await in_thread(cluster.kill, name, signal.SIGTERM)

    poster = await run(cluster, workload, faults, seconds=max(sizes.post_seconds, 20))
    await judge("d-rolling", cluster, poster, workload, interruptions=1)


@FIRST
async def test_e_three_trackers_shuffled(make_cluster, sizes) -> None:  # noqa: ANN001
    """3 tracker processes share the durable; each project's updates arrive shuffled, several batches
    of a county in flight at once: the final state is the newest record per field, nothing regressed."""
    cluster, workload = make_cluster(), Workload.build(sizes.n, per_project=10, seed=7)
    await cluster.start()
    await in_thread(cluster.start_replica, "tracker")
    await in_thread(cluster.start_replica, "tracker")
    poster = Poster(cluster, workload, seconds=sizes.post_seconds / 2, parallel=3)
    await poster.run()
    cluster.last_fault = time.monotonic()
    ledger = await judge("e-3-trackers", cluster, poster, workload)
    assert ledger.resends == 0


@SECOND
async def test_f_poison_messages(make_cluster, sizes) -> None:  # noqa: ANN001
    """1% poison (undecodable, or JSON that is not a ProjectUpdated) published straight onto the updates
    subject among the good updates: each ends as a dead letter, and the good ones behind it go through."""
    cluster, workload = make_cluster(), Workload.build(sizes.n, seed=11)
    poison = [b"\xff\xfe not json at all", b'{"event_id": "not-a-uuid", "update": {}}',
              json.dumps({"event_id": str(uuid.uuid4()), "occurred_at": "yesterday", "county_code": "330106"}).encode()]
    count = max(1, sizes.n // 100)

    async def faults() -> None:
        nc = await nats.connect(cluster.nats.url)
        try:
            js = nc.jetstream()
            for i in range(count):
                await asyncio.sleep(SIZES.post_seconds / count)
                await js.publish(subjects.project_updated(COUNTIES[i % len(COUNTIES)]), poison[i % len(poison)],
                                 headers={"Nats-Msg-Id": f"poison-{i}"})
        finally:
            await nc.close()
        cluster.last_fault = time.monotonic()

    poster = await run(cluster, workload, faults)
    ledger = await judge("f-poison", cluster, poster, workload, dead_letters=count)
    # No head-of-line blocking: poison is terminated at once and never redelivered (its drain time is printed in the
    # ledger; a bound on seconds would measure the machine's load, not the consumer, under parallel tests).
    assert ledger.resends == 0


def print_drains(scenario: str, drains: list[tuple[str, float]]) -> None:
    print(f"CHAOS {scenario} drain per fault: " + "; ".join(f"{fault} {seconds:.1f}s" for fault, seconds in drains))
    late = [(fault, seconds) for fault, seconds in drains if seconds > DRAIN_BOUND_SECONDS]
    assert not late, f"durables drained later than {DRAIN_BOUND_SECONDS}s after a fault: {late}"


async def assert_durables_kept(cluster: Cluster, created: dict) -> None:  # noqa: ANN001
    """The durables JetStream holds are the ones it held before the faults: moved between leaders, never made again."""
    assert await cluster.durables_created() == created, "a durable consumer was recreated"


async def faults_in_turn(cluster: Cluster, poster: Poster, faults: list[Callable[[], str]]) -> list[tuple[str, float]]:
    """Each fault (blocking; says what it did) while updates are still being posted, the next one only once the
    cluster is whole again. Each fault's drain is measured from its end, beside the faults after it."""
    measuring = []
    for fault in faults:
        assert poster.posted < poster.workload.total, "every fault must land while updates are being posted"
        done = await asyncio.to_thread(fault)
        measuring.append((done, asyncio.create_task(drained_since(cluster, cluster.last_fault))))
        await in_thread(cluster.wait_cluster_whole)
    return [(done, await task) for done, task in measuring]


@SECOND
async def test_g_stream_leader_killed_twice_on_a_cluster(make_cluster, sizes) -> None:  # noqa: ANN001
    """Three nats-servers, every stream at R3, the services given all three URLs: the server leading UPDATES
    (found through stream info) is SIGKILLed under load and restarted 2 s later; once the cluster is whole
    again (every stream and durable led, replicas current) the new leader's server is killed the same way.
    Each time a new leader takes over, clients fail over to the other servers, and the ledger stays clean."""
    cluster, workload = make_cluster(nats_servers=3), Workload.build(sizes.n, seed=13)
    await cluster.start()
    created = await cluster.durables_created()
    poster = Poster(cluster, workload, seconds=max(sizes.post_seconds, 25))

    def kill_leader() -> str:
        return f"{cluster.kill_stream_leader(subjects.UPDATES.name)} (leader of UPDATES) killed"

    async def faults() -> list[tuple[str, float]]:
        await asyncio.sleep(SIZES.post_seconds / 6)
        return await faults_in_turn(cluster, poster, [kill_leader, kill_leader])

    _, drains = await asyncio.gather(poster.run(), faults())
    ledger = await judge("g-leader-kill", cluster, poster, workload)
    print_drains("g-leader-kill", drains)
    await assert_durables_kept(cluster, created)
    assert ledger.resends == 0


@FIRST
async def test_h_rolling_restart_of_the_nats_cluster(make_cluster, sizes) -> None:  # noqa: ANN001
    """Each of the three nats-servers in turn SIGTERMed and started again under load, the next one only once
    the cluster is whole again (every stream and durable led, replicas current), as a rolling deployment of
    the StatefulSet does."""
    cluster, workload = make_cluster(nats_servers=3), Workload.build(sizes.n, seed=17)
    assert isinstance(cluster.nats, NatsCluster)
    await cluster.start()
    created = await cluster.durables_created()
    poster = Poster(cluster, workload, seconds=max(sizes.post_seconds, 25))

    def restart(server: str) -> Callable[[], str]:
        return lambda: cluster.restart_nats_server(server) or f"{server} restarted"

    async def faults() -> list[tuple[str, float]]:
        await asyncio.sleep(SIZES.post_seconds / 6)
        return await faults_in_turn(cluster, poster, [restart(server) for server in cluster.nats.servers])

    _, drains = await asyncio.gather(poster.run(), faults())
    ledger = await judge("h-nats-rolling", cluster, poster, workload)
    print_drains("h-nats-rolling", drains)
    await assert_durables_kept(cluster, created)
    assert ledger.resends == 0


@FIRST
async def test_i_one_server_partitioned_from_the_cluster(make_cluster, sizes) -> None:  # noqa: ANN001
    """The server leading UPDATES stopped (SIGSTOP) for the partition: it keeps its sockets but answers neither
    its peers nor its clients. The other two elect new leaders, the services on the stopped server notice
    the unanswered PINGs and reconnect to the majority, and updates keep being accepted and applied while it
    is away. Then SIGCONT: it catches up and the ledger stays clean.

    The short run stops it for 20 s (a new leader takes up to ~9 s to be elected), the services PING every
    second (a stopped server left within 2-3 s) and intake waits 4 s for JetStream's ack before answering 503,
    so that a batch posted again after the election lands inside the window: with intake's own 10 s, a
    reconnect and two unanswered rounds filled all 20 s on a loaded box. The full run stops it for 30 s with
    the services' own settings (5 s pings, left within 10-15 s; 10 s acks)."""
    short_run = {f"{name.upper()}_NATS_PING_INTERVAL_SECONDS": "1" for name in NAMES} | {"INTAKE_PUBLISH_TIMEOUT_SECONDS": "4"}
    cluster, workload = make_cluster(nats_servers=3, **({} if sizes.full else short_run)), Workload.build(sizes.n, seed=19)
    assert isinstance(cluster.nats, NatsCluster)
    await cluster.start()
    poster = Poster(cluster, workload, seconds=max(sizes.post_seconds, sizes.partition + 12))
    created = await cluster.durables_created()
    progress: dict[str, tuple[int, int]] = {}
    drains: list[tuple[str, float]] = []

    async def faults() -> None:
        await asyncio.sleep(SIZES.post_seconds / 6)
        stopped = await asyncio.to_thread(cluster.nats.leader_of, subjects.UPDATES.name)
        clients = await asyncio.to_thread(cluster.nats.clients_of, stopped)
        cluster.nats.pause(stopped)
        progress["stopped"] = (len(poster.acked), await tracker_processed(cluster))
        await asyncio.sleep(sizes.partition)  # the fault's length, not a wait for something
        progress["before it came back"] = (len(poster.acked), await tracker_processed(cluster))
        cluster.nats.resume(stopped)
        cluster.last_fault = time.monotonic()
        drains.append((f"{stopped} (leader of UPDATES; clients {', '.join(clients) or 'none'}) stopped {sizes.partition:.0f}s",
                       await drained_since(cluster, cluster.last_fault)))
        await in_thread(cluster.wait_cluster_whole)

    await asyncio.gather(poster.run(), faults())
    ledger = await judge("i-partition", cluster, poster, workload)
    print_drains("i-partition", drains)
    print(f"during the partition: accepted/applied {progress}")
    (acked_then, applied_then), (acked_after, applied_after) = progress["stopped"], progress["before it came back"]
    assert acked_after > acked_then, "intake accepted nothing while one server of three was stopped"
    assert applied_after > applied_then, "tracker applied nothing while one server of three was stopped"
    await assert_durables_kept(cluster, created)
    assert ledger.resends == 0
