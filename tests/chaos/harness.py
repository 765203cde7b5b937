"""The real parts a fault scenario runs against, and the ledger it is judged by.

Everything is loopback: a PostgreSQL 15 cluster of our own (never the system one on 5432), nats-server
from the wheel, the four services as processes (services/launcher.py), a webhook receiver and an SMTP
sink that count every physical send. The ledger reads each service's own tables and JetStream's
consumer state; it never asks a service whether it thinks it did well.
"""
from __future__ import annotations

import asyncio
import base64
import email
import os
import random
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DBAPIError

from services.escalation import tables as escalation_tables
from services.intake.tokens import issue_token
from services.launcher import NAMES, NatsProcess, ServiceProcess, ServiceProcesses, free_port, spawn_service, wait_until_ready
from services.nats_cluster import NatsCluster
from services.notifier import tables as notifier_tables
from services.notifier.delivery import CLAIM_SECONDS
from services.tracker import tables as tracker_tables
from shared import subjects
from shared.db import make_engine, session_factory
from shared.messaging import nats_servers
from shared.tls import client_tls
from tests.conftest import REQUIRE_PG

PG_BIN = Path("/usr/lib/postgresql/15/bin")
COUNTIES = ("330106", "330782", "330102")
# Beijing 2026-03-02: land agreed to start 2025-03-01 and never started is one full year idle.
ESCALATION_CLOCK = "fixed:2026-03-02T09:00:00+08:00"
T0 = datetime(2026, 2, 1, tzinfo=UTC)
# A claim this old belongs to no live round: the receivers answer at once, a round of 200 sends takes a second or two.
DEAD_CLAIM_SECONDS = 10.0
DURABLES = (
    (subjects.UPDATES.name, subjects.TRACKER_ON_PROJECT_UPDATED),
    (subjects.PROJECTS.name, subjects.ESCALATION_ON_PROJECT_CHANGED),
    (subjects.ESCALATIONS.name, subjects.NOTIFIER_ON_ESCALATION),
)


# ---------------------------------------------------------------- PostgreSQL of our own


class ThrowawayPostgres:
    """initdb into a temporary directory and pg_ctl on a free port. initdb refuses to run as root,
    so as root every PostgreSQL command runs as the `postgres` user on a directory it owns."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="tuijin-chaos-pg-"))
        self.data = self.dir / "data"
        self.url = f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    @staticmethod
    def available() -> bool:
        return (PG_BIN / "initdb").exists() and (PG_BIN / "pg_ctl").exists()

    @classmethod
    def started(cls) -> ThrowawayPostgres:
        """A cluster of the test's own, running; without PostgreSQL 15's binaries the test fails where PostgreSQL is
        required (TUIJIN_REQUIRE_PG=1, as in CI) and skips elsewhere."""
        if not cls.available():
            if REQUIRE_PG:
                pytest.fail(f"PostgreSQL 15 binaries ({PG_BIN}) are required (TUIJIN_REQUIRE_PG=1)")
            pytest.skip("PostgreSQL 15 binaries not installed here")
        pg = cls()
        pg.init()
        return pg

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *args], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8")
        self.start()

    def start(self) -> None:
        # fsync off: the faults here stop PostgreSQL cleanly (-m fast) and never the machine.
        options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off -c max_connections=300"
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "postgres.log"), "-o", options, "-w", "start")

    def stop(self) -> None:
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def begin_smart_shutdown(self) -> None:
        """pg_ctl stop -m smart, not waited for: until its last session ends, the server refuses new ones (57P03)."""
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "smart", "-W", "stop")

    def running(self) -> bool:
        return (self.data / "postmaster.pid").exists()

    def destroy(self) -> None:
        if self.running():
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------- receivers that count physical sends


class _Receiver(ThreadingHTTPServer):
    # http.server listens with a backlog of 5: notifier's 20 sends at once overflow it, and the connections the kernel
    # then drops fail as ReadError and are retried after a backoff, so the receiver, not notifier, set the pace.
    request_queue_size = 128


class WebhookReceiver:
    """Counts every webhook-id it answered 2xx to; answers 503 (and counts nothing) while failing."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        self.refused = 0
        self.failing = False
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    if receiver.failing:
                        receiver.refused += 1
                        status = 503
                    else:
                        receiver.received[self.headers["webhook-id"]] += 1
                        status = 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = _Receiver(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class SmtpSink:
    """Counts every Message-ID accepted; answers 451 (try later, a transient failure) while failing."""

    def __init__(self) -> None:
        self.received: Counter[str] = Counter()
        self.refused = 0
        self.failing = False
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
                if sink.failing:
                    sink.refused += 1
                    return "451 4.3.0 try again later"
                message_id = email.message_from_bytes(envelope.content)["Message-ID"].strip("<>").split("@")[0]
                sink.received[message_id] += 1
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=free_port())
        self.controller.start()
        self.url = f"smtp://127.0.0.1:{self.controller.port}"

    def close(self) -> None:
        self.controller.stop()


def write_routing(directory: Path, webhook_url: str) -> Path:
    """Every department, leader and the office of each county reach a person by webhook; the office
    also by e-mail, so both channels carry deliveries."""
    directory.mkdir(parents=True, exist_ok=True)
    secret = "whsec_" + base64.b64encode(b"chaos-suite-webhook-secret-32by").decode()
    departments = ["自然资源局", "县重点项目办", "发改局", "住建局", "县纪委监委", "审计局", "财政局", "县重点项目调度会"]
    for county in COUNTIES:
        lines = [f'county_code = "{county}"', f'county_name = "县{county}"', 'project_office = "县重点项目办"', ""]
        for n, department in enumerate(departments):
            channels = f'{{ channel = "webhook", address = "{webhook_url}?d={n}", secret = "{secret}" }}'
            if department == "县重点项目办":
                channels += f', {{ channel = "email", address = "office{county}@chaos.test" }}'
            lines += [f'[people."人员{n}"]', f"channels = [{channels}]", ""]
        for n, department in enumerate(departments):
            lines += [f'[departments."{department}"]', f'people = ["人员{n}"]', ""]
        lines += ["[leaders]", '"陈立新" = "人员1"']
        (directory / f"{county}.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


# ---------------------------------------------------------------- the workload and what it must lead to

VARYING = ("name", "annual_plan_fen", "total_investment_fen", "investment_ytd_fen")


@dataclass
class Workload:
    """N partial updates over three counties: each project's first record registers it with land that
    is idle as of the escalation clock (one escalation, notifications); the others vary facts no rule
    decides on, at distinct record times, so the newest record per field is well defined."""

    updates: dict[str, list[dict[str, Any]]]  # per county, in posting order
    expected: dict[str, dict[str, Any]]  # project code -> field -> value of its newest record

    @classmethod
    def build(cls, n: int, per_project: int = 5, seed: int = 5, shuffle: bool = True) -> Workload:
        rng = random.Random(seed)
        updates: dict[str, list[dict[str, Any]]] = {c: [] for c in COUNTIES}
        newest: dict[str, dict[str, tuple[datetime, Any]]] = {}
        minutes: dict[str, list[int]] = {}  # per project, its records' distinct minutes in random order
        for i in range(n):
            county = COUNTIES[i % len(COUNTIES)]
            project, k = divmod(i // len(COUNTIES), per_project)
            code = f"2403-{county}-04-01-{project:06d}"
            if code not in minutes:
                minutes[code] = rng.sample(range(60), per_project)
            when = T0 + timedelta(hours=project, minutes=minutes[code][k])
            item: dict[str, Any] = {"project_code": code, "source_system": "发改局项目库", "source_record_id": f"{code}/{k}",
                                    "source_record_time": when.isoformat()}
            if k == 0:
                item.update(stage="signed", leader="陈立新", lead_department="发改局", responsible_unit="住建局",
                            land_parcel={"parcel_id": f"P-{county}-{project}", "agreed_start_date": "2025-03-01"})
            for name in rng.sample(VARYING, rng.randint(1, len(VARYING))) if k else VARYING:
                # The total always exceeds the plan and the year's figure (intake checks that within an item).
                item[name] = (f"项目{project}号·{k}" if name == "name" else rng.randrange(10**10, 2 * 10**10) if name == "total_investment_fen"
                              else rng.randrange(1, 10**9))
            updates[county].append(item)
            for name in VARYING:
                if name in item:
                    seen = newest.setdefault(code, {}).get(name)
                    if seen is None or when > seen[0]:
                        newest[code][name] = (when, item[name])
        if shuffle:
            for items in updates.values():
                rng.shuffle(items)
        return cls(updates, {code: {k: v for k, (_, v) in fields.items()} for code, fields in newest.items()})

    @property
    def total(self) -> int:
        return sum(len(items) for items in self.updates.values())


@dataclass
class Poster:
    """Posts every county's updates in batches, as a county system does: a batch that is not answered
    2xx (intake or NATS away, 503) is posted again. Acked = the event ids of 2xx answers."""

    cluster: Cluster
    workload: Workload
    batch: int = 20
    seconds: float = 20.0  # spread the posting over about this long, so faults land under load
    acked: dict[str, dict[str, Any]] = field(default_factory=dict)  # event id -> item
    retries: int = 0
    posted: int = 0
    finished_at: float = 0.0  # monotonic time of the last update's 2xx: the load ends there

    parallel: int = 1  # batches of one county in flight at once (several lanes: one project on two replicas)

    async def run(self) -> None:
        lanes = []
        for county in COUNTIES:
            items = self.workload.updates[county]
            batches = [items[i:i + self.batch] for i in range(0, len(items), self.batch)]
            lanes += [self._lane(county, batches[lane::self.parallel]) for lane in range(self.parallel)]
        await asyncio.gather(*lanes)
        self.finished_at = time.monotonic()

    async def _lane(self, county: str, batches: list[list[dict[str, Any]]]) -> None:
        pause = self.seconds / max(1, len(batches))
        headers = {"Authorization": f"Bearer {self.cluster.tokens[county]}"}
        async with httpx.AsyncClient(headers=headers, timeout=30, verify=client_tls()) as client:
            for batch in batches:
                while True:
                    try:
                        response = await client.post(f"{self.cluster.services.url('intake')}/v1/counties/{county}/updates", json=batch)
                    except httpx.HTTPError:
                        response = None
                    if response is not None and response.is_success:
                        break
                    self.retries += 1
                    await asyncio.sleep(0.5)
                results = response.json()["results"]
                rejected = [r for r in results if r["status"] != "accepted"]
                assert not rejected, f"intake rejected a well-formed update: {rejected[:2]}"
                self.acked.update({r["event_id"]: item for r, item in zip(results, batch, strict=True)})
                self.posted += len(batch)
                await asyncio.sleep(pause)


class Cluster:
    """nats-server and the services of one scenario, on the throwaway PostgreSQL (a schema per service)."""

    def __init__(self, workdir: Path, pg: ThrowawayPostgres, webhook: WebhookReceiver, smtp: SmtpSink, prefix: str,
                 extra_env: dict[str, str] | None = None, nats_servers: int = 1) -> None:
        """nats_servers: 1, or 3 for a JetStream cluster on loopback with every stream at R3."""
        self.workdir, self.pg, self.webhook, self.smtp = workdir, pg, webhook, smtp
        self.nats: NatsProcess | NatsCluster = (
            NatsProcess(workdir / "jetstream", log=workdir / "nats.log") if nats_servers == 1
            else NatsCluster(workdir / f"jetstream-{prefix}", nats_servers, logs=workdir))
        routing = write_routing(workdir / "routing", webhook.url)
        replicas = {f"{name.upper()}_STREAM_REPLICAS": str(nats_servers) for name in NAMES} if nats_servers > 1 else {}
        env = {"ESCALATION_CLOCK": ESCALATION_CLOCK, "NOTIFIER_ROUTING_DIR": str(routing), "NOTIFIER_SMTP_URL": smtp.url,
               **replicas, **(extra_env or {})}
        self.services = ServiceProcesses(self.nats.url, workdir, pg.url, prefix, env)
        self.replicas: list[ServiceProcess] = []
        self.tokens: dict[str, str] = {}
        self.last_fault = time.monotonic()

    async def start(self) -> None:
        self.nats.start()
        self.services.start_all()
        url, schema = self.services.database["intake"]
        engine = make_engine(url, schema)
        try:
            self.tokens = {c: await issue_token(session_factory(engine), c, "chaos") for c in COUNTIES}
        finally:
            await engine.dispose()

    def start_replica(self, name: str) -> None:
        """One more process of `name`: the same command and environment on another port, sharing the durable."""
        port = free_port()
        env = {**self.services.env(name), f"{name.upper()}_PORT": str(port)}
        log = self.services.logs / f"{name}-replica{len(self.replicas) + 1}.log"
        self.replicas.append(spawn_service(name, env, self.workdir, log))
        wait_until_ready(f"http://127.0.0.1:{port}", self.replicas[-1], f"{name} replica", lambda: log.read_text(errors="replace")[-3000:])

    # Faults. Each blocks until the system is whole again, so they run in a thread beside the poster.
    def kill_stream_leader(self, stream: str) -> str:
        """On a cluster: SIGKILL the server leading `stream` (found through stream info), restart it after 2 s."""
        assert isinstance(self.nats, NatsCluster)
        leader = self.nats.kill_leader_of(stream)
        self.last_fault = time.monotonic()
        return leader

    def restart_nats_server(self, server: str) -> None:
        """On a cluster: SIGTERM one server and start it again (same store, same ports), as a rolling deployment does."""
        assert isinstance(self.nats, NatsCluster)
        self.nats.restart(server)
        self.last_fault = time.monotonic()

    def wait_cluster_whole(self) -> None:
        """On a cluster: every server healthy, every stream and durable led and its replicas current."""
        assert isinstance(self.nats, NatsCluster)
        self.nats.wait_whole([spec.name for spec in subjects.STREAMS], DURABLES)

    def kill_nats(self) -> None:
        self.nats.stop(signal.SIGKILL)
        time.sleep(1.0)
        self.nats.start()  # same port, same store directory
        self.last_fault = time.monotonic()

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        process = self.services.processes[name]
        process.send_signal(sig)
        process.wait(60)
        self.services.start(name)
        self.last_fault = time.monotonic()

    def stop(self) -> None:
        for process in self.replicas:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        self.services.stop_all()
        for process in self.replicas:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.nats.stop()

    async def expire_dead_claims(self) -> None:
        """Stand-in for notifier's claim timeout (CLAIM_SECONDS = 120 s) in the short run: rows claimed by
        a replica that was killed (or that gave up recording a round) are made claimable now instead of in two
        minutes. They are sent again exactly as after the timeout, and counted as crash-window resends.

        Only claims older than DEAD_CLAIM_SECONDS: a live round holds its claims for a second or two, and
        ending those had the round's rows sent twice, a resend no notifier would make."""
        url, schema = self.services.database["notifier"]
        taken_before = datetime.now(UTC) + timedelta(seconds=CLAIM_SECONDS - DEAD_CLAIM_SECONDS)
        engine = make_engine(url, schema)
        try:
            for attempt in range(5):
                try:
                    async with session_factory(engine)() as session, session.begin():
                        table = notifier_tables.deliveries
                        await session.execute(update(table).where(table.c.status == "pending", table.c.claimed_by.is_not(None),
                                                                  table.c.claimed_until < taken_before)
                                              .values(claimed_until=datetime.now(UTC) - timedelta(seconds=1)))
                    return
                except DBAPIError as error:  # PostgreSQL may pick this bulk update as a deadlock victim beside a worker's
                    if "deadlock" not in str(error) or attempt == 4:
                        raise
        finally:
            await engine.dispose()

    async def backlog(self) -> dict[str, int]:
        """num_pending + num_ack_pending per durable, from JetStream itself."""
        nc = await nats.connect(servers=nats_servers(self.nats.url), connect_timeout=2, max_reconnect_attempts=0)
        try:
            js = nc.jetstream()
            found = {}
            for stream, durable in DURABLES:
                try:
                    info = await js.consumer_info(stream, durable)
                    found[durable] = info.num_pending + info.num_ack_pending
                except nats.js.errors.NotFoundError:
                    found[durable] = 0  # no message has reached this stage yet
            return found
        finally:
            await nc.close()


    async def durables_created(self) -> dict[str, datetime]:
        """When JetStream created each durable: unchanged across faults means no consumer was made again."""
        nc = await nats.connect(servers=nats_servers(self.nats.url), connect_timeout=2, max_reconnect_attempts=0)
        try:
            js = nc.jetstream()
            return {durable: (await js.consumer_info(stream, durable)).created for stream, durable in DURABLES}
        finally:
            await nc.close()


async def drained_since(cluster: Cluster, since: float, timeout: float = 180) -> float:
    """Seconds from `since` (a fault's end) until each durable has acknowledged every message its stream held
    when first asked after it: what the fault held up is worked off, while the posting goes on."""
    marks: dict[str, int] = {}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            nc = await nats.connect(servers=nats_servers(cluster.nats.url), connect_timeout=2, max_reconnect_attempts=0)
        except (nats.errors.Error, OSError, TimeoutError):  # every server we tried is away or stopped: ask again
            await asyncio.sleep(0.2)
            continue
        try:
            js = nc.jetstream(timeout=2)
            for stream, durable in DURABLES:
                if durable not in marks:
                    marks[durable] = (await js.stream_info(stream)).state.last_seq
            floors = [(await js.consumer_info(stream, durable)).ack_floor.stream_seq for stream, durable in DURABLES]
            if all(floor >= marks[durable] for floor, (_, durable) in zip(floors, DURABLES, strict=True)):
                return time.monotonic() - since
        except (nats.errors.Error, TimeoutError):  # no leader elected yet (the request times out): ask again
            pass
        finally:
            await nc.close()
        await asyncio.sleep(0.2)
    raise AssertionError(f"durables not drained within {timeout:.0f}s of the fault (marks {marks})")


async def tracker_processed(cluster: Cluster) -> int:
    """How many updates tracker has applied (its idempotency table)."""
    return (await _query(cluster, "tracker", select(func.count()).select_from(tracker_tables.processed_events)))[0][0]


# ---------------------------------------------------------------- the ledger


async def _query(cluster: Cluster, service: str, statement: Any) -> list[Any]:
    url, schema = cluster.services.database[service]
    engine = make_engine(url, schema)
    try:
        async with engine.connect() as connection:
            return list((await connection.execute(statement)).all())
    finally:
        await engine.dispose()


@dataclass
class Ledger:
    acked: int
    in_tracker: int
    lost: int
    duplicated_transitions: int
    version_gaps: int
    state_mismatches: int
    regressions: int
    escalations: int
    missing_escalations: int
    stale_projections: int
    escalation_events_unnotified: int
    delivery_records: int
    deliveries_not_sent: int
    duplicate_delivery_records: int
    unseen_at_receiver: int
    resends: int  # every physical send beyond the first, per delivery key
    unrecorded_resends: int  # of those, sends the delivery log never recorded (the crash window); the rest followed a recorded failed attempt
    drain_seconds: float
    dead_letters: int
    outbox_left: int

    def line(self, scenario: str) -> str:
        figures = " ".join(f"{k}={v:.1f}" if isinstance(v, float) else f"{k}={v}" for k, v in vars(self).items())
        return f"CHAOS {scenario}: {figures}"

    def assert_clean(self, expected_dead_letters: int = 0) -> None:
        problems = {k: v for k, v in vars(self).items()
                    if k in {"lost", "duplicated_transitions", "version_gaps", "state_mismatches", "regressions",
                             "missing_escalations", "stale_projections", "escalation_events_unnotified", "deliveries_not_sent", "duplicate_delivery_records",
                             "unseen_at_receiver", "outbox_left"} and v}
        assert not problems, f"ledger not clean: {problems}"
        assert self.in_tracker == self.acked
        assert self.dead_letters == expected_dead_letters


async def settle(cluster: Cluster, timeout: float, fast_claims: bool, since: float | None = None) -> tuple[float, float]:
    """Wait until every durable is drained and every delivery is settled. Returns (seconds from `since` (the
    last fault by default) until JetStream's durables were drained, seconds until everything was settled)."""
    since = cluster.last_fault if since is None else since
    drained_at: float | None = None
    deadline = time.monotonic() + timeout
    expired_at = 0.0
    shown = 0.0
    last_pending, moved_at = -1, time.monotonic()
    quiet_checks = 0  # consecutive checks that found nothing anywhere
    while time.monotonic() < deadline:
        backlog = await cluster.backlog()
        # Pending before the outboxes: a delivery settles in one commit with its NotificationSent outbox row, so a
        # delivery that was pending when counted shows up in the outbox count after it (the other order misses both).
        d = notifier_tables.deliveries
        pending = (await _query(cluster, "notifier", select(func.count()).where(d.c.status == "pending")))[0][0]
        outboxes = {s: (await _query(cluster, s, select(func.count()).select_from(t)))[0][0]
                    for s, t in (("tracker", tracker_tables.outbox), ("escalation", escalation_tables.outbox), ("notifier", notifier_tables.outbox))}
        outbox = sum(outboxes.values())
        if pending != last_pending:
            last_pending, moved_at = pending, time.monotonic()
        if time.monotonic() - shown >= 10:  # what holds the drain up, for `pytest tests/chaos -s`
            shown = time.monotonic()
            print(f"settling {shown - since:.0f}s after the load: backlog {backlog}, outboxes {outboxes}, pending deliveries {pending}")
        # Drained: every durable has worked off its stream, and nothing waits in the outboxes that feed them. notifier's
        # own outbox (NotificationSent, one per delivery made) feeds none of them: it belongs to settling the deliveries.
        if not any(backlog.values()) and not outboxes["tracker"] and not outboxes["escalation"]:
            drained_at = drained_at or time.monotonic()
            # Twice in a row: one check reads the durables, the deliveries and the outboxes one after another, and a
            # message that moves from a stage not yet read to one already read meanwhile (an escalation event leaving
            # escalation's outbox for notifier's durable) is seen in neither. Half a second later it is seen where it is.
            quiet_checks = quiet_checks + 1 if not pending and not outbox else 0
            if quiet_checks == 2:
                return drained_at - since, time.monotonic() - since
            # Stuck for 3 s: what is still claimed then may be a dead replica's (or an outage's failures waiting out their
            # backoff, which leave nothing claimed). Again every 3 s, as a claim becomes old enough to be a dead one.
            if fast_claims and time.monotonic() - max(moved_at, expired_at) >= 3:
                await cluster.expire_dead_claims()
                expired_at = time.monotonic()
        else:
            drained_at, quiet_checks = None, 0
        await asyncio.sleep(0.5)
    raise AssertionError(f"not settled within {timeout:.0f}s: backlog {backlog}, outbox {outboxes}, pending deliveries {pending}")


async def read_ledger(cluster: Cluster, acked: dict[str, dict[str, Any]], expected: dict[str, dict[str, Any]],
                      drain_seconds: float) -> Ledger:
    t, e, n = tracker_tables, escalation_tables, notifier_tables
    processed = {row[0] for row in await _query(cluster, "tracker", select(t.processed_events.c.event_id))}
    log_rows = await _query(cluster, "tracker", select(t.change_log.c.project_id, t.change_log.c.version, t.change_log.c.event_id,
                                                       t.change_log.c.changes, t.change_log.c.source_record_time))
    per_event = Counter(row.event_id for row in log_rows)
    versions: dict[str, list[int]] = {}
    for row in log_rows:
        versions.setdefault(row.project_id, []).append(row.version)
    gaps = sum(sorted(v) != list(range(1, len(v) + 1)) for v in versions.values())
    # No regression: along a project's versions, each field only ever changes to a newer record's value.
    regressions = 0
    last_time: dict[tuple[str, str], datetime] = {}
    for row in sorted(log_rows, key=lambda r: (r.project_id, r.version)):
        when = row.source_record_time if row.source_record_time.tzinfo else row.source_record_time.replace(tzinfo=UTC)
        for change in row.changes:
            key = (row.project_id, change["path"])
            regressions += key in last_time and when <= last_time[key]
            last_time[key] = when
    states = {row.project_code: row.state for row in await _query(cluster, "tracker", select(t.projects.c.project_code, t.projects.c.state))}
    mismatches = sum(states.get(code, {}).get(name, [None])[0] != value for code, fields in expected.items() for name, value in fields.items())

    escalations = (await _query(cluster, "escalation", select(func.count()).select_from(e.escalations)))[0][0]
    escalated = {row[0] for row in await _query(cluster, "escalation", select(e.escalations.c.project_id))}
    tracked = {row[0]: row[1] for row in await _query(cluster, "tracker", select(t.projects.c.project_id, t.projects.c.version))}
    facts = {row[0]: row[1] for row in await _query(cluster, "escalation", select(e.project_facts.c.project_id, e.project_facts.c.version))}
    stale = {p for p, v in tracked.items() if facts.get(p) != v}  # escalation's projection behind tracker
    unescalated = sorted(set(tracked) - escalated)  # every project's land is idle: each must have its escalation
    if unescalated:
        print("projects without escalation (tracker version, projected version):", [(p, tracked[p], facts.get(p)) for p in unescalated[:5]])
    history = [row[0] for row in await _query(cluster, "escalation", select(e.escalation_history.c.event_id))]
    deliveries = await _query(cluster, "notifier", select(n.deliveries.c.delivery_key, n.deliveries.c.escalation_event_id, n.deliveries.c.person,
                                                           n.deliveries.c.channel, n.deliveries.c.address, n.deliveries.c.status,
                                                           n.deliveries.c.attempts))
    notified = {row.escalation_event_id for row in deliveries}
    per_delivery = Counter((row.escalation_event_id, row.person, row.channel, row.address) for row in deliveries)
    sent = {row.delivery_key for row in deliveries if row.status == "sent"}
    physical = cluster.webhook.received + cluster.smtp.received
    dead: dict[str, int] = {}
    for service, tables in (("tracker", t), ("escalation", e), ("notifier", n)):
        dead[service] = (await _query(cluster, service, select(func.count()).select_from(tables.dead_letters)))[0][0]
    if any(dead.values()):
        print("dead letters by service:", dead)
    outbox_left = 0
    for service, tables in (("tracker", t), ("escalation", e), ("notifier", n)):
        outbox_left += (await _query(cluster, service, select(func.count()).select_from(tables.outbox)))[0][0]
    return Ledger(
        acked=len(acked), in_tracker=len(processed & set(acked)), lost=len(set(acked) - processed),
        duplicated_transitions=sum(c - 1 for c in per_event.values()) + sum(c - 1 for c in Counter(history).values()),
        version_gaps=gaps, state_mismatches=mismatches + len(set(expected) - set(states)), regressions=regressions,
        escalations=escalations, missing_escalations=len(unescalated), stale_projections=len(stale), escalation_events_unnotified=len(set(history) - notified),
        delivery_records=len(deliveries), deliveries_not_sent=len(deliveries) - len(sent),
        duplicate_delivery_records=sum(c - 1 for c in per_delivery.values()),
        unseen_at_receiver=len(sent - set(physical)) + len(set(physical) - sent),
        resends=sum(c - 1 for c in physical.values()),
        # A send whose outcome came back as a failure (a timeout after the receiver had it) is recorded as an attempt and
        # retried with the same key; only sends beyond the recorded attempts were in the window between send and record.
        unrecorded_resends=sum(max(0, physical[row.delivery_key] - row.attempts) for row in deliveries),
        drain_seconds=drain_seconds, dead_letters=sum(dead.values()), outbox_left=outbox_left,
    )


async def clear_schemas(pg: ThrowawayPostgres, prefix: str) -> None:
    engine = make_engine(pg.url)
    try:
        async with engine.begin() as connection:
            for name in ("intake", "tracker", "escalation", "notifier"):
                await connection.execute(text(f'DROP SCHEMA IF EXISTS "{prefix}_{name}" CASCADE'))
    finally:
        await engine.dispose()
