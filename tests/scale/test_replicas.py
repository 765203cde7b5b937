"""Every consumer as N replicas sharing its durable: nothing lost, nothing doubled, no project regressed.

Real processes against a real nats-server: one intake, 3 tracker, 2 escalation and 2 notifier replicas
(the extra replicas are the same command with the same environment on another port), on SQLite (several
writers on one file per service) and on PostgreSQL (one schema per service and run). ~600 partial updates
for 50 projects go in over HTTP, each project's updates shuffled among the others and spread over different
source record times, several requests at once, so updates of one project are routinely in flight on two
tracker replicas at the same moment.

Why a version guard and not per-project partitioning. Two replicas changing the same project is made safe
optimistically: tracker writes a project with `UPDATE … WHERE version = <the version it read>`; when
another replica got there first, no row matches, the whole batch rolls back (ConcurrentUpdate) and is
nak'ed with a delay, and JetStream redelivers it — to whichever replica fetches next — to be merged
again on top of the newer state. Nothing is lost (the batch is only acked after a commit), nothing is
doubled (processed event ids commit with the state), versions stay gap-free (each commit is version+1 of
what it read) and the merge itself is order-insensitive (newest source record per field), so the order
the retry lands in does not matter. Partitioning (subject `county.<c>.project.updated.<partition>` with
one consumer, or a consumer per partition, pinned to one replica) would avoid the conflicts, but it needs
what a shared durable does not: a fixed partition count in the subject scheme, an assignment of
partitions to replicas that changes whenever KEDA scales (a coordinator, or JetStream's consumer
groups/pinning, which nats-py does not offer), and a hot county or project still serialises on one
replica. Conflicts are rare in practice (a project changes a few times a month; county batches are
usually about different projects), and the retry costs one delayed redelivery. Escalation and notifier
are guarded the same way where they write shared rows: escalation's projection only moves to a newer
version and its sweep runs under a lease; notifier claims delivery rows before sending.

What is checked: every project's final state is the newest record per field (computed here, independently
of tracker), its change log has versions 1..N without gaps or repeats, escalation's projection holds that
same version; every escalation is raised once (unique ids; each event in the ESCALATIONS stream once by
Nats-Msg-Id); every delivery row is sent exactly once, and the file-channel lines and NotificationSent
events are exactly the delivery rows.
"""
from __future__ import annotations

import asyncio
import json
import random
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation import tables as escalation_tables
from services.escalation.sweeper import Lease, LeaseLost
from services.intake.tokens import issue_token
from services.launcher import ServiceProcess, ServiceProcesses, free_port, spawn_service, wait_until_ready
from services.notifier import tables as notifier_tables
from services.notifier.delivery import DeliveryWorker
from services.tracker import domain
from services.tracker import tables as tracker_tables
from shared import subjects
from shared.db import make_engine, session_factory
from shared.tls import client_tls
from tests.conftest import drop_schema
from tests.support.databases import migrated

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
COUNTY = "330106"
CLOCK = "fixed:2026-03-02T09:00:00+08:00"  # land agreed to start 2025-03-01 is one full year idle
REPLICAS = {"tracker": 3, "escalation": 2, "notifier": 2}
PROJECTS, UPDATES_PER_PROJECT = 50, 12
T0 = datetime(2026, 2, 1, tzinfo=UTC)
# Facts no rule decides on (the idle-land finding stays the same whatever arrives when), several of them
# read for the audience and summary, so most updates are re-evaluated by escalation all the same.
VARYING: dict[str, Any] = {
    "name": lambda rng, n: f"西湖区产业项目{n}号{rng.choice('甲乙丙丁戊')}",
    "leader": lambda rng, n: rng.choice(["陈立新", "王海", "刘芳", "周明"]),
    "lead_department": lambda rng, n: rng.choice(["发改局", "经信局", "商务局"]),
    "responsible_unit": lambda rng, n: rng.choice(["住建局", "交通局", "城投集团"]),
    "nature": lambda rng, n: rng.choice(["new", "continuing"]),
    "annual_plan_fen": lambda rng, n: rng.randrange(1, 500) * 1_000_000,
    "investment_ytd_fen": lambda rng, n: rng.randrange(1, 300) * 1_000_000,
    "ledger_month": lambda rng, n: f"2026-{rng.randrange(1, 3):02d}",
}


# ---------------------------------------------------------------- the running system, with extra replicas


@dataclass
class Replicated:
    """ServiceProcesses runs one process per service; the extra replicas run here, same env, own port."""

    pipeline: ServiceProcesses
    extra: dict[str, list[ServiceProcess]] = field(default_factory=dict)
    ports: dict[str, list[int]] = field(default_factory=dict)

    def start_replica(self, name: str) -> int:
        port = free_port()
        env = {**self.pipeline.env(name), f"{name.upper()}_PORT": str(port)}
        index = len(self.extra.get(name, [])) + 2
        process = spawn_service(name, env, self.pipeline.workdir, self.pipeline.logs / f"{name}-{index}.log")
        self.extra.setdefault(name, []).append(process)
        self.ports.setdefault(name, []).append(port)
        return port

    def wait_ready(self, timeout: float = 60) -> None:
        for name, ports in self.ports.items():
            for process, port in zip(self.extra[name], ports, strict=True):
                wait_until_ready(f"http://127.0.0.1:{port}", process, f"a {name} replica", lambda name=name: self.log_tail(name), timeout)

    def log_tail(self, name: str) -> str:
        paths = sorted(self.pipeline.logs.glob(f"{name}*.log"))
        return "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}" for p in paths)

    def stop(self) -> None:
        processes = [p for group in self.extra.values() for p in group if p.poll() is None]
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(40)
            except subprocess.TimeoutExpired:
                process.kill()
        self.pipeline.stop_all()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def system(request: pytest.FixtureRequest, nats_server, tmp_path: Path) -> Iterator[Replicated]:
    if request.param == "postgres":
        url, prefix = request.getfixturevalue("postgres_url"), f"scale_{uuid.uuid4().hex[:8]}"
    else:
        url, prefix = None, "unused"
    pipeline = ServiceProcesses(nats_server.url, tmp_path, url, prefix,
                                {"ESCALATION_CLOCK": CLOCK, "ESCALATION_SWEEP_INTERVAL_SECONDS": "1"})
    running = Replicated(pipeline)
    try:
        pipeline.start_all()  # migrations run once, in the first process of each service
        for name, count in REPLICAS.items():
            for _ in range(count - 1):
                running.start_replica(name)
        running.wait_ready()
        yield running
    finally:
        running.stop()
        if url:
            for name in ("intake", "tracker", "escalation", "notifier"):
                drop_schema(f"{prefix}_{name}")


class Databases:
    """Read-only looks into each service's own database, for the checks."""

    def __init__(self, pipeline: ServiceProcesses) -> None:
        self.engines = {name: make_engine(*pipeline.database[name]) for name in ("intake", "tracker", "escalation", "notifier")}
        self.sessions = {name: session_factory(engine) for name, engine in self.engines.items()}

    async def rows(self, service: str, query: Any) -> list[dict[str, Any]]:
        async with self.sessions[service]() as session:
            return [dict(row) for row in (await session.execute(query)).mappings()]

    async def scalar(self, service: str, query: Any) -> Any:
        async with self.sessions[service]() as session:
            return await session.scalar(query)

    async def close(self) -> None:
        for engine in self.engines.values():
            await engine.dispose()


# ---------------------------------------------------------------- the updates, and what they must come to


def updates(seed: int = 7) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """~600 partial updates for 50 idle-land projects, shuffled, and the newest value per field of each project."""
    rng = random.Random(seed)
    items, newest = [], {}
    for n in range(1, PROJECTS + 1):
        code = f"2403-{COUNTY}-04-01-{n:06d}"
        latest: dict[str, tuple[datetime, Any]] = {}
        for k in range(UPDATES_PER_PROJECT):
            # Spread over a month, distinct per project, and not in the order they will be posted.
            at = T0 + timedelta(hours=rng.randrange(0, 24 * 28), minutes=k, seconds=n)
            fields = {name: make(rng, n) for name, make in rng.sample(sorted(VARYING.items()), rng.randrange(1, 4))}
            items.append({
                "project_code": code, "stage": "signed",
                "land_parcel": {"parcel_id": f"XH-{n}", "agreed_start_date": "2025-03-01", "land_price_fen": 5_000_000_00},
                "source_system": "发改局重点项目库", "source_record_id": f"{n}-{k}", "source_record_time": at.isoformat(), **fields,
            })
            # A record of a ledger month speaks for that month's figures: one it leaves out is cleared (None).
            set_by_record = {**dict.fromkeys(domain.MONTH_FIGURES), **fields} if "ledger_month" in fields else fields
            for name, value in set_by_record.items():
                if name not in latest or at > latest[name][0]:
                    latest[name] = (at, value)
        newest[code] = {name: value for name, (_, value) in latest.items()}
    rng.shuffle(items)
    return items, newest


async def post_all(client: httpx.AsyncClient, items: list[dict[str, Any]], per_request: int = 20, at_once: int = 4) -> None:
    batches = [items[i:i + per_request] for i in range(0, len(items), per_request)]
    gate = asyncio.Semaphore(at_once)

    async def post(batch: list[dict[str, Any]]) -> None:
        async with gate:
            response = await client.post(f"/v1/counties/{COUNTY}/updates", json=batch)
            assert response.status_code == 202, response.text
            assert {r["status"] for r in response.json()["results"]} == {"accepted"}, response.text

    await asyncio.gather(*(post(batch) for batch in batches))


# ---------------------------------------------------------------- waiting for the system to settle


DURABLES = ((subjects.UPDATES.name, subjects.TRACKER_ON_PROJECT_UPDATED), (subjects.PROJECTS.name, subjects.ESCALATION_ON_PROJECT_CHANGED),
            (subjects.ESCALATIONS.name, subjects.NOTIFIER_ON_ESCALATION))


async def settled(js: Any, db: Databases) -> dict[str, Any] | None:
    """None until every durable is drained, every outbox empty and no delivery pending; then what was seen."""
    seen: dict[str, Any] = {}
    for stream, durable in DURABLES:
        info = await js.consumer_info(stream, durable)
        if info.num_pending or info.num_ack_pending:
            return None
        seen[durable] = {"delivered": info.delivered.consumer_seq, "redelivered": info.num_redelivered}
    for service, tables in (("tracker", tracker_tables), ("escalation", escalation_tables), ("notifier", notifier_tables)):
        if await db.scalar(service, select(func.count()).select_from(tables.outbox)):
            return None
    pending = await db.scalar("notifier", select(func.count()).select_from(notifier_tables.deliveries)
                              .where(notifier_tables.deliveries.c.status == "pending"))
    if pending or await db.scalar("escalation", select(func.count()).select_from(escalation_tables.escalations)
                                  .where(escalation_tables.escalations.c.rule_id == "R1.idle_land")) < PROJECTS:
        return None
    return seen


async def stream_messages(js: Any, stream: str) -> list[tuple[str, dict[str, Any]]]:
    """(Nats-Msg-Id, body) of every message the stream holds."""
    info = await js.stream_info(stream)
    found = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        message = await js.get_msg(stream, seq)
        found.append((message.headers["Nats-Msg-Id"], json.loads(message.data)))
    return found


def consumed_per_replica(system: Replicated, name: str) -> list[int]:
    """Messages each replica of `name` settled (its <name>_consumed_messages_total), from its /metrics."""
    counts = []
    for port in (system.pipeline.ports[name], *system.ports.get(name, [])):
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5, follow_redirects=True, verify=client_tls()).text
        counts.append(int(sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                              if line.startswith(f"{name}_consumed_messages_total{{"))))
    return counts


def notification_lines(workdir: Path) -> list[dict[str, Any]]:
    files = (workdir / "var" / "notifier" / "outbox").rglob("*.jsonl")
    return [json.loads(line) for f in files for line in f.read_text(encoding="utf-8").splitlines()]


# ---------------------------------------------------------------- the test


async def test_replicas_lose_double_and_regress_nothing(system: Replicated) -> None:
    pipeline, db = system.pipeline, Databases(system.pipeline)
    nc = await nats.connect(pipeline.nats_url)
    js = nc.jetstream()
    try:
        token = await issue_token(db.sessions["intake"], COUNTY, "scale")
        items, newest = updates()
        started = time.monotonic()
        async with httpx.AsyncClient(base_url=pipeline.url("intake"), headers={"Authorization": f"Bearer {token}"}, timeout=30) as client:
            await post_all(client, items)
        posted = time.monotonic()
        deadline, seen, previous = posted + 60, None, None
        while seen is None or seen != previous:  # settled, and still so past a redelivery delay (2 s)
            assert time.monotonic() < deadline, "not settled within 60 s:\n" + system.log_tail("tracker")[-3000:]
            previous = seen
            await asyncio.sleep(0.5 if seen is None else 2.5)
            seen = await settled(js, db)
        took = time.monotonic() - started

        # tracker: one project per code, the newest record per field, versions 1..N with neither gap nor repeat.
        projects = {row["project_code"]: row for row in await db.rows("tracker", select(tracker_tables.projects))}
        assert sorted(projects) == sorted(newest)
        versions: dict[str, list[int]] = {}
        for row in await db.rows("tracker", select(tracker_tables.change_log.c.project_id, tracker_tables.change_log.c.version)):
            versions.setdefault(row["project_id"], []).append(row["version"])
        for code, expected in newest.items():
            row = projects[code]
            state = domain.decode_state(row["state"])
            assert {name: state[name].value for name in expected} == expected, code
            assert sorted(versions[row["project_id"]]) == list(range(1, row["version"] + 1)), code
        assert await db.scalar("tracker", select(func.count()).select_from(tracker_tables.processed_events)) == len(items)
        assert await db.rows("tracker", select(tracker_tables.dead_letters.c.reason)) == []

        # escalation: its projection is at tracker's version (never an older state), each escalation raised once.
        facts = {row["project_id"]: row for row in await db.rows("escalation", select(escalation_tables.project_facts))}
        for code, expected in newest.items():
            row = projects[code]
            assert facts[row["project_id"]]["version"] == row["version"], code
            assert {name: facts[row["project_id"]]["snapshot"].get(name) for name in expected} == expected, code
        # Every project's land is idle; other rules of the rulebook may add findings of their own, checked elsewhere.
        escalations = await db.rows("escalation", select(escalation_tables.escalations).where(escalation_tables.escalations.c.rule_id == "R1.idle_land"))
        assert len(escalations) == PROJECTS
        assert len({e["escalation_id"] for e in escalations}) == len({(e["project_id"], e["rule_id"], e["subject"]) for e in escalations}) == PROJECTS
        assert {(e["status"], e["level_name"], e["sequence"]) for e in escalations} == {("open", "闲置土地(征收闲置费)", 1)}
        idle_ids = {e["escalation_id"] for e in escalations}
        history = [h for h in await db.rows("escalation", select(escalation_tables.escalation_history)) if h["escalation_id"] in idle_ids]
        assert sorted(h["kind"] for h in history) == ["raised"] * PROJECTS
        published = [(m, b) for m, b in await stream_messages(js, subjects.ESCALATIONS.name) if b["rule_id"] == "R1.idle_land"]
        by_id = Counter(message_id for message_id, _ in published)
        assert set(by_id.values()) == {1}, "an escalation event was published twice"
        assert set(by_id) == {h["event_id"] for h in history}
        assert Counter(body["escalation_id"] for _, body in published) == Counter({e["escalation_id"]: 1 for e in escalations})
        assert await db.rows("escalation", select(escalation_tables.dead_letters.c.reason)) == []

        # notifier: every delivery row sent once; the file lines and NotificationSent events are exactly those rows.
        deliveries = await db.rows("notifier", select(notifier_tables.deliveries))
        assert deliveries and {(d["status"], d["attempts"], d["claimed_by"]) for d in deliveries} == {("sent", 1, None)}
        keys = Counter(d["delivery_key"] for d in deliveries)
        assert Counter(line["delivery_key"] for line in notification_lines(pipeline.workdir)) == keys
        sent = await stream_messages(js, subjects.NOTIFICATIONS.name)
        assert Counter(body["delivery_key"] for _, body in sent) == keys
        assert len({message_id for message_id, _ in sent}) == len(sent)
        assert await db.rows("notifier", select(notifier_tables.dead_letters.c.reason)) == []

        # The work really was shared: every replica of every consumer settled messages of its durable.
        split = {name: consumed_per_replica(system, name) for name in REPLICAS}
        assert all(len(counts) == REPLICAS[name] and all(counts) for name, counts in split.items()), split
        print(f"\n[{pipeline.database['tracker'][0].split(':')[0]}] {len(items)} updates, {PROJECTS} projects: posted in "
              f"{posted - started:.1f} s, settled in {took:.1f} s; versions {sum(r['version'] for r in projects.values())}, "
              f"escalations {len(escalations)}, deliveries {len(deliveries)}; settled per replica {split}; consumers {seen}")
    finally:
        await nc.close()
        await db.close()


# ---------------------------------------------------------------- the two guards on their own, against each database


@pytest.fixture
async def escalation_db(database: tuple[str, str | None]) -> AsyncIterator[async_sessionmaker]:
    async with migrated("escalation", database) as sessions:
        yield sessions


class Wall:
    def __init__(self) -> None:
        self.value = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.value


async def test_one_replica_holds_the_sweep_lease_until_it_releases_or_it_expires(escalation_db: async_sessionmaker) -> None:
    wall = Wall()
    first, second = (Lease(escalation_db, "sweep", ttl_seconds=60, holder=h, now=wall) for h in ("a", "b"))
    assert sorted(await asyncio.gather(first.acquire(), second.acquire())) == [False, True]  # at once: one of them
    held, waiting = (first, second) if await _holder(escalation_db) == "a" else (second, first)
    assert await held.acquire() is True  # its own lease: taken again (renewed)
    wall.value += timedelta(seconds=59)
    await held.renew()
    wall.value += timedelta(seconds=59)
    assert await waiting.acquire() is False  # renewed 59 s ago, still held
    await held.release()
    assert await waiting.acquire() is True
    with pytest.raises(LeaseLost):
        await held.renew()
    wall.value += timedelta(seconds=61)  # the holder died: the lease expires, anyone takes it
    assert await held.acquire() is True


async def _holder(sessions: async_sessionmaker) -> str:
    async with sessions() as session:
        return await session.scalar(select(escalation_tables.leases.c.holder).where(escalation_tables.leases.c.name == "sweep"))


@pytest.fixture
async def notifier_db(database: tuple[str, str | None]) -> AsyncIterator[async_sessionmaker]:
    async with migrated("notifier", database) as sessions:
        yield sessions


async def test_replicas_claiming_at_once_take_disjoint_rows_and_a_dead_replicas_claims_expire(notifier_db: async_sessionmaker) -> None:
    wall = Wall()
    async with notifier_db() as session, session.begin():
        await session.execute(notifier_tables.deliveries.insert(), [{
            "delivery_key": f"k{n:03d}", "county_code": COUNTY, "escalation_event_id": str(uuid.uuid4()), "escalation_id": str(uuid.uuid4()),
            "event": {}, "recipient": {}, "person": "孙海燕", "channel": "file", "address": f"x{n}.jsonl", "fallback": 0,
            "status": "pending", "attempts": 0, "next_attempt_at": wall(), "created_at": wall() + timedelta(microseconds=n),
        } for n in range(90)])
    workers = [DeliveryWorker(notifier_db, {}, lambda county: None, wall, CollectorRegistry(), Path("."), replica_id=f"r{i}", claim_seconds=60)
               for i in range(3)]
    claimed = await asyncio.gather(*(worker.claim_due(limit=40) for worker in workers))
    keys = [{row["delivery_key"] for row in rows} for rows in claimed]
    assert sum(len(k) for k in keys) == 90 and len(set().union(*keys)) == 90  # every row claimed once, by one replica
    assert all(row["claimed_by"] == worker.replica_id for worker, rows in zip(workers, claimed, strict=True) for row in rows)
    assert await workers[0].claim_due() == []
    wall.value += timedelta(seconds=61)  # none of them recorded anything: their claims expire, the rows are due again
    assert len(await workers[1].claim_due(limit=200)) == 90
