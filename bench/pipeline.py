"""End-to-end benchmark (not a test): real processes, N updates over HTTP, beside a raw baseline.

    make bench    (or: .venv/bin/python -m bench.pipeline [--updates 20000] [--db sqlite|postgres|both])
    .venv/bin/python -m bench.pipeline --rate 500 --seconds 60 [--db ...]     (open loop)

Prints, per database: updates/s from the first POST to tracker's commit of the last update and to
the last notification, p50/p99 latency per update (POST sent → tracker's state-changed event,
and → NotificationSent), CPU µs per update per process (the bench's own, which shares the cores, apart; on PostgreSQL
the server's too, `postgres_cpu_us_per_update`, which SQLite spends inside the services), and the
same run's raw baselines: a bare nats-py pull consumer that commits each fetched batch to the same database (one
hop), and four such consumers in a chain, each in its own process and database, committing its batch and publishing it
to the next (four hops, the shape of intake → tracker → escalation → notifier), with the four hops' CPU per message
(`four_hop_cpu_us_per_update`: the hops summed, and nats-server's). The ratios (`ratio_to_four_hops` for the rate,
`cpu_ratio_to_four_hops` for the CPU, both closed loop) are the figures to compare across machines.

Open loop (`--rate R --seconds S`): R updates/s arrive on schedule for S seconds whatever the
responses; prints p50/p95/p99/max from POST to tracker's commit, to the escalation event of an update
that notifies (the hop between) and to the notification, and how many arrived within 5 s; and how many
updates tracker processed (nothing may be stranded), of which how many changed nothing (an older record
that arrived after a newer one of its project: no event says it was committed); and, afterwards, both
baselines over 20,000 updates, which say how fast the machine was during the run.

Workloads: by default every update is a project's first or second report (tracker creates the projects);
`--known` reports projects tracker already has (a first, unmeasured round creates them), which is what a
county sends most days; `--stale` makes every record two months old, so every project notifies.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import gc
import json
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import nats
from sqlalchemy import func, select

from bench.baseline import HOPS, ChainRun, run_baseline, run_four_hops
from bench.open_loop import post_at_rate, summary
from services.console.tables import project_changes
from services.intake.tokens import issue_token
from services.launcher import NatsProcess, ServiceProcesses
from services.tracker.tables import change_log, processed_events
from shared import subjects
from shared.db import make_engine, session_factory

PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
COUNTIES = ("330106", "330782")
BATCH, CONCURRENCY = 500, 4
OPEN_LOOP_BASELINE_UPDATES = 20_000
CLOCK = "fixed:2026-03-02T09:00:00+08:00"  # escalation's today: land agreed to start on 2024-01-10 has lain idle two years
FRESH_FROM = datetime(2026, 2, 25, tzinfo=UTC)  # records a week old: no project is a month without data
STALE_FROM = datetime(2026, 1, 1, tzinfo=UTC)  # --stale: every project is a month without data, so every one is grey and notifies


def make_updates(n: int, run: str, reported_from: datetime = FRESH_FROM, revision: int = 0) -> list[tuple[str, dict]]:
    """n updates over n/2 projects; one project in ten has idle land, so it ends in notifications. A later `revision`
    reports the same projects' investment again, changed."""
    items = []
    for i in range(n):
        county, project = COUNTIES[i % 2], i // 4
        item = {"project_code": f"2511-{county}-04-01-{project:06d}", "name": f"基准项目{project}", "stage": "started",
                "investment_ytd_fen": 1_000_000 * (i + 1) + 100 * revision, "leader": "陈立新", "lead_department": "发改局",
                # Started in February: no monthly ledger is owed yet on the clock's day (R4.ledger_missing).
                "milestones": [{"name": "开工", "planned": "2026-02-10", "actual": "2026-02-16"}],
                "source_system": "bench", "source_record_id": f"{run}-{i}",
                "source_record_time": (reported_from + timedelta(seconds=i)).isoformat()}
        if project % 10 == 0 and i % 4 == 0:
            item["land_parcel"] = {"parcel_id": f"B-{project}", "agreed_start_date": "2024-01-10"}
        items.append((county, item))
    return items


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """As timeit does: this process's own pauses would be counted as the pipeline's latency. A full collection scanning
    the prepared updates stopped it for ~125 ms in a 40 s run at 500/s, and the run's p99 is a handful of notifications."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def cpu_seconds(pid: int, children: bool = False) -> float:
    """User + system CPU a process has used so far (Linux /proc, clock ticks of 1/100 s); with `children`, that of its
    children that have ended instead."""
    fields = _stat_fields(pid)
    return (int(fields[13]) + int(fields[14])) / 100 if children else (int(fields[11]) + int(fields[12])) / 100


def _stat_fields(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def server_cpu_seconds() -> float:
    """CPU seconds used so far by the local PostgreSQL server's processes (backends, WAL writer and the rest): it shares
    the cores with the services, and unlike SQLite's engine its work is in no service's figure. Backends that have
    ended (a client that disconnected) count through their postmaster, which reaps them."""
    used, postmasters = 0.0, set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if (stat.parent / "cmdline").read_bytes().startswith(b"postgres:"):
                used += cpu_seconds(int(stat.parent.name))
                postmasters.add(int(_stat_fields(int(stat.parent.name))[1]))
        except (OSError, ValueError):  # ended meanwhile
            continue
    for pid in postmasters:
        with contextlib.suppress(OSError, ValueError):
            used += cpu_seconds(pid, children=True)
    return used


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[q - 1] if len(values) >= 2 else (values[0] if values else float("nan"))


async def post_all(services: ServiceProcesses, updates: list[tuple[str, dict]], tokens: dict[str, str], sent_at: dict[str, float]) -> None:
    batches = [(county, [item for c, item in updates[i:i + BATCH * 2] if c == county]) for i in range(0, len(updates), BATCH * 2) for county in COUNTIES]
    queue: asyncio.Queue = asyncio.Queue()
    for batch in batches:
        queue.put_nowait(batch)
    async with httpx.AsyncClient(base_url=services.url("intake"), timeout=120) as client:
        async def worker() -> None:
            while not queue.empty():
                county, items = queue.get_nowait()
                started = time.monotonic()
                response = await client.post(f"/v1/counties/{county}/updates", json=items, headers={"Authorization": f"Bearer {tokens[county]}"})
                response.raise_for_status()
                for result in response.json()["results"]:
                    sent_at[result["event_id"]] = started
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))


async def county_tokens(services: ServiceProcesses) -> dict[str, str]:
    url, schema = services.database["intake"]
    engine = make_engine(url, schema)
    try:
        return {county: await issue_token(session_factory(engine), county, "bench") for county in COUNTIES}
    finally:
        await engine.dispose()


async def create_projects(nats_url: str, services: ServiceProcesses, n: int) -> None:
    """--known, before measuring: the projects' first reports, until tracker has them and the notifier is done."""
    updates = make_updates(n, uuid.uuid4().hex[:8], FRESH_FROM - timedelta(days=2))
    committed: dict[str, float] = {}
    notified: dict[str, float] = {}
    nc = await nats.connect(nats_url)
    await nc.subscribe(subjects.project_changed(), cb=functools.partial(_arrived, committed, "caused_by"))
    await nc.subscribe(subjects.notification_sent(), cb=functools.partial(_arrived, notified, "correlation_id"))
    await post_all(services, updates, await county_tokens(services), {})
    deadline = time.monotonic() + 300
    await wait_for_count(committed, n, deadline)
    await wait_for_count(notified, sum(1 for _, item in updates if "land_parcel" in item), deadline)
    await nc.close()


async def _arrived(arrived: dict[str, float], key: str, msg) -> None:  # type: ignore[no-untyped-def]
    arrived.setdefault(json.loads(msg.data)[key], time.monotonic())


async def measure_pipeline(nats_url: str, services: ServiceProcesses, n: int, rate: float | None = None, stale: bool = False,
                           known: bool = False) -> dict:
    tokens = await county_tokens(services)
    updates = make_updates(n, uuid.uuid4().hex[:8], STALE_FROM if stale else FRESH_FROM, revision=1 if known else 0)
    sent_at: dict[str, float] = {}
    committed: dict[str, float] = {}
    notified: dict[str, float] = {}
    escalated: dict[str, float] = {}  # the hop between: where a slow notification spent its time
    nc = await nats.connect(nats_url)

    async def on_changed(msg) -> None:  # type: ignore[no-untyped-def]
        committed[json.loads(msg.data)["caused_by"]] = time.monotonic()

    async def on_sent(msg) -> None:  # type: ignore[no-untyped-def]
        notified.setdefault(json.loads(msg.data)["correlation_id"], time.monotonic())

    async def on_escalation(msg) -> None:  # type: ignore[no-untyped-def]
        escalated.setdefault(json.loads(msg.data)["correlation_id"], time.monotonic())

    await nc.subscribe(subjects.project_changed(), cb=on_changed)
    await nc.subscribe(subjects.notification_sent(), cb=on_sent)
    await nc.subscribe(subjects.escalation(), cb=on_escalation)
    start = time.monotonic()
    failed = await post_at_rate(services.url("intake"), updates, tokens, rate, sent_at) if rate else 0
    if not rate:
        await post_all(services, updates, tokens, sent_at)
    posted = time.monotonic()
    deadline = posted + 300
    accepted = len(sent_at)  # a POST that failed (open loop) sent nothing to wait for
    # An update that loses to a newer record of its project (two POSTs crossing) changes nothing, so no event
    # says it was committed: stop waiting once commits stop, and ask tracker what it processed (below).
    await wait_for_count(committed, accepted, deadline)
    processed = await processed_by_tracker(services, list(sent_at))
    into_tracker = max(committed.values()) - start
    # The first record of a project with idle land notifies; with --stale, the first record of every project does.
    # --known: those were notified when the projects were created, and a changed investment notifies nobody.
    expected_notifications = 0 if known else len({item["project_code"] for _, item in updates}) if stale else \
        sum(1 for _, item in updates if "land_parcel" in item)
    await wait_for_count(notified, expected_notifications, deadline)
    await asyncio.sleep(1)
    await nc.close()
    tracker_latency = [(committed[e] - s) * 1000 for e, s in sent_at.items() if e in committed]
    notify_latency = [(notified[e] - s) * 1000 for e, s in sent_at.items() if e in notified]
    escalation_latency = [(escalated[e] - s) * 1000 for e, s in sent_at.items() if e in escalated and e in notified]
    if rate:
        return {"offered_per_s": rate, "updates": n, "posted_in_s": round(posted - start, 2), "post_failures": failed,
                "processed_by_tracker": f"{processed}/{accepted}", "processed_without_a_change": processed - len(tracker_latency),
                **summary("to_tracker", tracker_latency, len(tracker_latency)),
                **summary("to_escalation_event", escalation_latency, len(escalation_latency)),
                # Which updates notify anyone depends on the rules as of the fixed clock: count those that did.
                **summary("to_notification", notify_latency, len(notify_latency))}
    return {
        "updates": n, "posted_in_s": round(posted - start, 2), "committed": len(committed),
        "into_tracker_per_s": round(n / into_tracker), "p50_ms_to_tracker": round(percentile(tracker_latency, 50), 1),
        "p99_ms_to_tracker": round(percentile(tracker_latency, 99), 1),
        "notified_updates": f"{len(notified)}/{expected_notifications}",
        "to_notification_per_s": round(n / (max(notified.values()) - start)) if notified and expected_notifications else None,
        "p50_ms_to_notification": round(percentile(notify_latency, 50), 1) if notify_latency else None,
        "p99_ms_to_notification": round(percentile(notify_latency, 99), 1) if notify_latency else None,
    }


async def wait_for_count(arrived: dict, expected: int, deadline: float, quiet_seconds: float = 5) -> None:
    """Until `expected` have arrived, the deadline passes, or nothing more arrives for `quiet_seconds`."""
    progress = (len(arrived), time.monotonic())
    while len(arrived) < expected and time.monotonic() < deadline:
        if len(arrived) != progress[0]:
            progress = (len(arrived), time.monotonic())
        elif time.monotonic() - progress[1] > quiet_seconds:
            return
        await asyncio.sleep(0.05)


async def console_caught_up(services: ServiceProcesses, deadline: float) -> float:
    """--console: until the console has projected every change tracker published (its CPU counts only then)."""
    started = time.monotonic()
    engines = {name: make_engine(*services.database[name]) for name in ("tracker", "console")}
    try:
        while time.monotonic() < deadline:
            async with engines["tracker"].connect() as tracker, engines["console"].connect() as console:
                published = (await tracker.execute(select(func.count()).select_from(change_log))).scalar_one()
                projected = (await console.execute(select(func.count()).select_from(project_changes))).scalar_one()
            if projected >= published:
                break
            await asyncio.sleep(0.2)
    finally:
        for engine in engines.values():
            await engine.dispose()
    return round(time.monotonic() - started, 1)


async def processed_by_tracker(services: ServiceProcesses, event_ids: list[str]) -> int:
    """How many of these updates tracker recorded as processed (its idempotency table), changed or not."""
    url, schema = services.database["tracker"]
    engine = make_engine(url, schema)
    try:
        async with engine.connect() as conn:
            return sum([(await conn.execute(select(func.count()).select_from(processed_events).where(
                processed_events.c.event_id.in_(event_ids[i:i + 500])))).scalar_one() for i in range(0, len(event_ids), 500)])
    finally:
        await engine.dispose()


def run(db: str, n: int, rate: float | None = None, stale: bool = False, known: bool = False, console: bool = False) -> dict:
    with tempfile.TemporaryDirectory(prefix="tuijin-bench-") as tmp:
        work = Path(tmp)
        nats_server = NatsProcess(work / "nats")
        nats_server.start()
        prefix = f"bench_{uuid.uuid4().hex[:6]}"
        postgres = PG_URL if db == "postgres" else None
        services = ServiceProcesses(nats_server.url, work, postgres, prefix, {"ESCALATION_CLOCK": CLOCK}, console=console)
        try:
            services.start_all()
            if known:
                asyncio.run(create_projects(nats_server.url, services, n))
                if console:
                    asyncio.run(console_caught_up(services, time.monotonic() + 300))
            pids = {name: process.pid for name, process in services.processes.items()} | {"nats-server": nats_server.process.pid}
            before = {name: cpu_seconds(pid) for name, pid in pids.items()}
            own_cpu, server_cpu = time.process_time(), server_cpu_seconds()
            with collector_paused():
                pipeline = asyncio.run(measure_pipeline(nats_server.url, services, n, rate, stale, known))
            # On the same cores as the system: what it took from them is part of the picture.
            pipeline["load_generator_cpu_us_per_update"] = round((time.process_time() - own_cpu) * 1e6 / n)
            if console:
                pipeline["console_projected_s"] = asyncio.run(console_caught_up(services, time.monotonic() + 300))
            used = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
            pipeline["cpu_us_per_update"] = {name: round(seconds * 1e6 / n) for name, seconds in used.items()}
            if postgres:  # the whole server's, other work on it included (the bench's own database is idle meanwhile)
                pipeline["postgres_cpu_us_per_update"] = round((server_cpu_seconds() - server_cpu) * 1e6 / n)
        finally:
            services.stop_all()
        # The open loop's baselines say how fast the machine was during the run: its figures are latencies, not rates.
        measured = OPEN_LOOP_BASELINE_UPDATES if rate else n
        baseline_url = postgres or f"sqlite+aiosqlite:///{work / 'baseline.db'}"
        baseline = asyncio.run(run_baseline(nats_server.url, baseline_url, f"{prefix}_baseline" if postgres else None, measured))
        chain_cpu_from = {"nats-server": cpu_seconds(nats_server.process.pid), "postgres": server_cpu_seconds() if postgres else 0.0}
        four_hops = run_four_hops(nats_server.url, postgres, str(work), f"{prefix}_baseline" if postgres else None, measured)
        chain_cpu = chain_cpu_figures(four_hops, chain_cpu_from, nats_server.process.pid, postgres is not None, measured)
        nats_server.stop()
        if postgres:
            drop_schemas(prefix)
    result = {"db": db, "workload": "stale" if stale else "known" if known else "fresh", **pipeline,
              "baseline_commits_per_s": baseline, "four_hop_baseline_per_s": four_hops.per_second, **chain_cpu}
    if not rate:
        result["ratio_to_baseline"] = round(pipeline["into_tracker_per_s"] / baseline, 2)
        result["ratio_to_four_hops"] = (round(pipeline["to_notification_per_s"] / four_hops.per_second, 2)
                                        if pipeline["to_notification_per_s"] else None)
        # CPU per update, services and nats-server summed, against the same sum for the four bare hops, both flat out: a
        # figure that compares across machines, where the µs follow the cores of the day. (An open loop's CPU per update
        # is mostly each small batch's fixed cost, so it has no like to compare with.)
        chain_total = sum(chain_cpu["four_hop_cpu_us_per_update"].values())
        result["cpu_ratio_to_four_hops"] = round(sum(pipeline["cpu_us_per_update"].values()) / chain_total, 2)
    return result


def chain_cpu_figures(chain: ChainRun, cpu_from: dict[str, float], nats_pid: int, postgres: bool, n: int) -> dict[str, Any]:
    """The four bare hops' CPU per message, in the shape of the services' figure: the hops summed, and nats-server's (and,
    on PostgreSQL, the server's) over the whole baseline run, its publishing of the first hop's messages included, as
    nats-server's figure for the services includes intake's publishing."""
    per_update = {"hops": chain.hop_cpu_seconds, "nats-server": cpu_seconds(nats_pid) - cpu_from["nats-server"]}
    figures: dict[str, Any] = {"four_hop_cpu_us_per_update": {name: round(seconds * 1e6 / n) for name, seconds in per_update.items()}}
    if postgres:
        figures["four_hop_postgres_cpu_us_per_update"] = round((server_cpu_seconds() - cpu_from["postgres"]) * 1e6 / n)
    return figures


def drop_schemas(prefix: str) -> None:
    import subprocess

    for name in ("intake", "tracker", "escalation", "notifier", "console", "baseline", *(f"baseline_hop{k}" for k in range(1, HOPS + 1))):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "test", "-qc", f'DROP SCHEMA IF EXISTS "{prefix}_{name}" CASCADE'],
                       check=False, capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=20_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rate", type=float, help="open loop: updates per second, on schedule")
    parser.add_argument("--seconds", type=float, default=60, help="open loop: for how long")
    workload = parser.add_mutually_exclusive_group()
    workload.add_argument("--known", action="store_true",
                          help="updates to projects tracker knows (the steady state): a first, unmeasured round creates them")
    workload.add_argument("--stale", action="store_true",
                          help="records two months old: every project is grey (R6), so every project's first update notifies")
    parser.add_argument("--console", action="store_true", help="run the web console too (it projects every change) and count its CPU")
    args = parser.parse_args()
    n = int(args.rate * args.seconds) if args.rate else args.updates
    for db in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        print(json.dumps(run(db, n, args.rate, args.stale, args.known, args.console), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
