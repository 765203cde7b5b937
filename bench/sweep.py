"""Sweep benchmark (not a test): escalation's clock-driven sweep of N projects.

    .venv/bin/python -m bench.sweep [--projects 100000] [--db sqlite|postgres|both]

Fills escalation's projection with N synthetic projects (most on track; one in ten with idle land,
one in sixteen over budget, one in 75 behind its plan, one in 30 with central funds unstarted; each
with an acceptance milestone spread over 200 days, so that about 1% of projects fall due on any one day),
then times:
1. the first sweep: a full re-evaluation (no basis recorded yet) that raises every escalation and opens its case;
2. a second full re-evaluation (the basis forgotten, as after a policy change) that raises nothing: its
   projects/s is the re-evaluation rate, and (1 − 2) / escalations is the cost of raising one with its case;
3. the steady daily sweep of the next day, which reads only the projects due (about 1%);
4. the first day on which the cases opened by the first sweep miss their deadline and climb the ladder together
   (the days before it swept untimed): mostly climbs, each with its letter, audit row and event.
Prints seconds, projects/s, projects read, escalations written, case climbs and the process's peak RSS.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import resource
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation.policy_file import policies
from services.escalation.service import sweep
from services.escalation.tables import cases, escalations, evaluation_basis, metadata, project_facts
from shared.db import make_engine, migrate, session_factory
from shared.runtime import tune_gc

PG_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
MIGRATIONS = Path(__file__).parents[1] / "services" / "escalation" / "migrations"
POLICIES = Path(__file__).parents[1] / "config" / "policies"
COUNTIES = ("330106", "330782")
AS_OF = date(2026, 11, 20)
CHUNK = 5000  # rows per insert while filling
CHUNK_SWEEP = 1000  # the service's own chunk


def snapshot(i: int) -> dict:
    """A project a county could really have: most are on track; about one escalation for every three projects."""
    county = COUNTIES[i % 2]
    started = i % 3 != 0
    facts: dict = {
        "project_id": str(uuid.UUID(int=i + 1)), "project_code": f"2501-{county}-04-01-{i % 1_000_000:06d}",
        "name": f"项目{i}", "stage": "started" if started else "signed", "nature": "new", "government_funded": i % 2 == 0,
        "leader": f"领导{i % 40}", "lead_department": "发改局", "responsible_unit": f"单位{i % 200}", "township": f"街道{i % 12}",
        "total_investment_fen": 50_000_000_00, "local_ids": [], "land_parcels": [],
        "last_source_record_time": "2026-11-10T02:00:00Z",
        "milestones": [{"name": "开工", "planned": "2026-05-01" if started else "2027-05-01", **({"actual": "2026-05-10"} if started else {})},
                       {"name": "竣工", "planned": "2027-12-31"},
                       # Its reminder (7 days before) and its overdue day (the day after) make 2 of 200 projects due a day.
                       {"name": "验收", "planned": (AS_OF + timedelta(days=i % 200 - 50)).isoformat()}],
    }
    if started:
        behind = i % 25 == 0  # 欠进度: 40 points behind the time-proportional plan
        facts.update(annual_plan_fen=12_000_000_00, stats_enrolled_on="2026-05-20", ledger=[
            {"month": f"2026-{m:02d}", "ytd_fen": 1_000_000_00 * m * (6 if behind else 10) // 10} for m in range(1, 11)])
    if i % 10 == 0:
        facts["land_parcels"] = [{"parcel_id": f"P{i}", "agreed_start_date": "2025-03-01", "land_price_fen": 2_000_000_00}]
    if i % 16 == 0:
        facts.update(budget_fen=10_000_000_00, committed_cost_fen=12_500_000_00)
    if i % 30 == 1:
        facts["central_funds"] = [{"batch_id": f"C{i}", "issued_on": "2026-03-01", "amount_fen": 5_000_000_00, "paid_fen": 0}]
    return facts


async def fill(sessions, n: int) -> None:
    now = datetime.now(UTC)
    for start in range(0, n, CHUNK):
        rows = [{"project_id": str(uuid.UUID(int=i + 1)), "county_code": COUNTIES[i % 2], "version": 1,
                 "snapshot": snapshot(i), "updated_at": now} for i in range(start, min(n, start + CHUNK))]
        async with sessions() as session, session.begin():
            await session.execute(insert(project_facts), rows)


async def analysing(engine, schema: str, every: float = 30) -> None:  # noqa: ANN001
    """What autovacuum's autoanalyze does on a server that runs it: without statistics, PostgreSQL plans the sweep's
    `IN (…)` lookups as scans of whole tables that grow with every chunk (seen on a server with autovacuum off)."""
    while True:
        async with engine.connect() as conn:
            for table in metadata.sorted_tables:
                await conn.execute(text(f'ANALYZE "{schema}"."{table.name}"'))
            await conn.commit()
        await asyncio.sleep(every)


async def timed(sessions, policy_for, day: date, label: str) -> float:  # noqa: ANN001
    started = time.perf_counter()
    report = await sweep(sessions, policy_for, day, datetime.now(UTC), chunk=CHUNK_SWEEP)
    seconds = time.perf_counter() - started
    climbs = f" ({seconds / report.case_events * 1000:.2f} ms each, projects included)" if report.case_events else ""
    print(f"  {label} as of {day}: {report.projects:,} projects read in {seconds:.1f} s = {report.projects / seconds:,.0f} projects/s, "
          f"{report.events:,} escalation events, {report.case_events:,} case climbs{climbs}")
    return seconds


async def climbing_day(sessions, policy_for, after: date) -> None:  # noqa: ANN001
    """Sweep the days up to the first case deadline untimed, then time that day's sweep."""
    async with sessions() as session:
        day = await session.scalar(select(func.min(cases.c.clock_due)).where(cases.c.clock_due > after))
    if day is None:
        return
    for quiet in range(1, (day - after).days):
        await sweep(sessions, policy_for, after + timedelta(days=quiet), datetime.now(UTC), chunk=CHUNK_SWEEP)
    await timed(sessions, policy_for, day, "4. the cases opened by the first sweep climb")


@contextlib.asynccontextmanager
async def filled(url: str, schema: str | None, n: int) -> AsyncIterator[async_sessionmaker]:
    """Escalation's store with n projects filled, analysed every 30 s on PostgreSQL."""
    await migrate(MIGRATIONS, url, schema)
    engine = make_engine(url, schema)
    sessions = session_factory(engine)
    analyser = None
    try:
        if n:
            started = time.perf_counter()
            await fill(sessions, n)
            print(f"  filled {n:,} projects in {time.perf_counter() - started:.1f} s")
        if schema:
            analyser = asyncio.create_task(analysing(engine, schema))
            async with engine.connect() as conn:
                autovacuum = (await conn.execute(text("SHOW autovacuum"))).scalar_one()
            print(f"  autovacuum is {autovacuum} on this server: the tables are analysed every 30 s during the run, as it would")
        yield sessions
    finally:
        if analyser:
            analyser.cancel()
        await engine.dispose()


async def run(sessions: async_sessionmaker) -> None:
    policy_for = policies(POLICIES)
    raising = await timed(sessions, policy_for, AS_OF, "1. first sweep (full re-evaluation, raises)")
    async with sessions() as session:
        raised = await session.scalar(select(func.count()).select_from(escalations))
        opened = await session.scalar(select(func.count()).select_from(cases))
    async with sessions() as session, session.begin():
        await session.execute(delete(evaluation_basis))  # as a new policy, rule version or holiday calendar would
    quiet = await timed(sessions, policy_for, AS_OF, "2. full re-evaluation (nothing new)")
    print(f"  raising: {raised:,} escalations and {opened:,} cases; (1 - 2) / escalations = {(raising - quiet) / raised * 1000:.2f} ms each")
    await timed(sessions, policy_for, AS_OF + timedelta(days=1), "3. steady daily sweep")
    await climbing_day(sessions, policy_for, AS_OF + timedelta(days=1))
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS {rss_mb:.0f} MB")


def store_bench_parser(doc: str | None, projects: int) -> argparse.ArgumentParser:
    """The arguments every benchmark of escalation's store takes (how many projects, on which database); a bench adds its own."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--projects", type=int, default=projects)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    return parser


async def on_each_database(db: str, body: Callable[[async_sessionmaker], Awaitable[None]], n: int = 0) -> None:
    """`body` on a store of each database asked for (a temporary SQLite file, a throwaway PostgreSQL schema), filled
    with n of this bench's projects."""
    filling = f", {n:,} projects as of {AS_OF}" if n else ""
    tune_gc()  # as the service does at start-up (shared.runtime.serve)
    if db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            print(f"SQLite{filling}:")
            async with filled(f"sqlite+aiosqlite:///{tmp}/escalation.db", None, n) as sessions:
                await body(sessions)
    if db in ("postgres", "both"):
        schema = f"bench_sweep_{uuid.uuid4().hex[:8]}"
        print(f"PostgreSQL (schema {schema}){filling}:")
        try:
            async with filled(PG_URL, schema, n) as sessions:
                await body(sessions)
        finally:
            engine = make_engine(PG_URL, None)
            async with engine.begin() as conn:
                await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            await engine.dispose()


if __name__ == "__main__":
    args = store_bench_parser(__doc__, 100_000).parse_args()
    asyncio.run(on_each_database(args.db, run, args.projects))
