"""One service's batch handler in process (not a test): CPU per item of tracker's apply_updates, escalation's
apply_changes or the notifier's plan, fed batches of one size, without NATS or the other services.

    .venv/bin/python -m bench.handlers --service tracker --batch 16 --workload known --updates 3072 [--db postgres]

On PostgreSQL (`--db postgres`: the test database, in a throwaway schema per service) the figure is this process's
CPU, and `server_cpu_us_per_item` the server's: its processes' CPU over the measured round, read from /proc (the
server must run on this machine), so a statement saved shows on both sides.

`fresh`: every update is a project's first report (tracker creates it, escalation projects it for the first time);
`known`: a second round about the same projects, after an unmeasured first one. Escalation's events are what tracker
made of the same updates; the notifier's, what escalation published from that round's.

CPU time on a shared 2-core machine can differ by a quarter between identical runs; the instructions a run executes
do not, once the hash seed is fixed (set and dict orders, hence the statements' parameter orders, follow it: unfixed,
the figure moved by 4%). For an A/B of a small change, count them under valgrind for two run lengths and divide the
difference (the set-up cancels out):

    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python -m bench.handlers ... --updates 1536
    PYTHONHASHSEED=0 valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python -m bench.handlers ... --updates 3072
    ("I refs" of the second minus the first, divided by the difference in items handled, which the script prints:
    instructions per item; a run's count is the same to 1e-4 between runs; building the measured items is counted too, alike in A and B)
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import async_sessionmaker

import services.escalation as escalation_package
import services.notifier as notifier_package
import services.tracker as tracker_package
from bench.pipeline import FRESH_FROM, PG_URL, make_updates, server_cpu_seconds
from services.escalation.policy_file import policies
from services.escalation.service import apply_changes
from services.escalation.settings import Settings as EscalationSettings
from services.escalation.tables import outbox as escalation_outbox
from services.notifier.app import routings
from services.notifier.rendering import NOTIFIED_EVENTS, NotifiedEvent
from services.notifier.service import plan
from services.notifier.settings import Settings as NotifierSettings
from services.tracker.service import apply_updates
from services.tracker.tables import outbox as tracker_outbox
from shared.contracts import ProjectStateChanged, ProjectUpdate, ProjectUpdated
from shared.db import make_engine, migrate, session_factory
from shared.runtime import tune_gc

NOW = datetime(2026, 3, 2, 1, tzinfo=UTC)  # fixed, as the bench's escalation clock: the same work in every run
AS_OF = date(2026, 3, 2)
SETUP_BATCH = 500
# The unmeasured work (a first round about the projects, tracker making escalation's input) covers this many updates
# whatever --updates is, up to it: so it cancels out of the difference of two run lengths.
SETUP_UPDATES = 3072


def updated_events(n: int, revision: int) -> list[ProjectUpdated]:
    """Deterministic ids and times, so two runs of the same code execute the same instructions. A later revision
    reports the same projects two days later, every update a change."""
    reported_from = FRESH_FROM - timedelta(days=2 * (1 - revision))
    events = []
    for k, (county, item) in enumerate(make_updates(n, "handlers", reported_from, revision)):
        event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"bench-handlers|{revision}|{k}")
        events.append(ProjectUpdated(event_id=event_id, occurred_at=NOW, county_code=county, correlation_id=str(event_id),
                                     update=ProjectUpdate.model_validate(item)))
    return events


async def database(package: Any, directory: Path, name: str, db: str) -> async_sessionmaker:
    if db == "sqlite":
        url, schema = f"sqlite+aiosqlite:///{directory / name}.db", None
    else:  # a schema of its own, dropped afterwards (`throwaway_schemas`)
        url, schema = PG_URL, f"bench_handlers_{name}_{directory.name[-8:].lower()}"
        SCHEMAS.append(schema)
    await migrate(Path(package.__file__).parent / "migrations", url, schema)
    return session_factory(make_engine(url, schema))


SCHEMAS: list[str] = []


@contextlib.asynccontextmanager
async def throwaway_schemas() -> AsyncIterator[None]:
    try:
        yield
    finally:
        if SCHEMAS:
            engine = make_engine(PG_URL)
            async with engine.begin() as connection:
                for schema in SCHEMAS:
                    await connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            await engine.dispose()


async def in_batches(handle: Callable[[Sequence[Any]], Awaitable[Any]], items: Sequence[Any], size: int) -> None:
    for start in range(0, len(items), size):
        await handle(items[start:start + size])


async def measure(service: str, workload: str, n: int, batch: int, db: str) -> tuple[float, float, int]:
    """CPU µs per item handled (all threads: aiosqlite's included) over the measured round only, the database server's
    (PostgreSQL), and how many items: updates for tracker, the changes tracker made of them for escalation (building
    the items is not measured)."""
    setup = max(n, SETUP_UPDATES)
    with tempfile.TemporaryDirectory(prefix="tuijin-handlers-") as tmp:
        tracker = await database(tracker_package, Path(tmp), "tracker", db)

        async def track(events: Sequence[ProjectUpdated]) -> Any:
            return await apply_updates(tracker, events, NOW)

        revisions = [0, 1] if workload == "known" else [0]
        if service == "tracker":
            if workload == "known":
                await in_batches(track, updated_events(setup, 0), SETUP_BATCH)
            return await timed(track, updated_events(n, revisions[-1]), batch)
        changes, published = [], 0
        for revision in revisions:  # what tracker publishes for each round, in commit order (no relay here: it stays)
            await in_batches(track, updated_events(setup, revision), SETUP_BATCH)
            async with tracker() as session:
                payloads = (await session.execute(select(tracker_outbox.c.payload).order_by(tracker_outbox.c.seq))).scalars().all()
            changes.append([ProjectStateChanged.model_validate_json(payload) for payload in payloads[published:]])
            published = len(payloads)
        escalation = await database(escalation_package, Path(tmp), "escalation", db)
        policy_for = policies(EscalationSettings().policy_dir)

        async def escalate(events: Sequence[ProjectStateChanged]) -> Any:
            return await apply_changes(escalation, events, policy_for, AS_OF, NOW)

        if workload == "known":
            await in_batches(escalate, changes[0], SETUP_BATCH)
        if service == "escalation":
            return await timed(escalate, changes[-1][:n], batch)
        async with escalation() as session:  # what the known round had published is left out: the fresh round's events
            seen = len((await session.execute(select(escalation_outbox.c.seq))).all())
        await in_batches(escalate, changes[-1][:n], SETUP_BATCH)
        async with escalation() as session:
            payloads = (await session.execute(select(escalation_outbox.c.payload).order_by(escalation_outbox.c.seq))).scalars().all()
        notifier = await database(notifier_package, Path(tmp), "notifier", db)
        routing_for = routings(NotifierSettings().routing_dir)

        async def notify(events: Sequence[NotifiedEvent]) -> Any:
            return await plan(notifier, events, routing_for, NOW)

        return await timed(notify, [NOTIFIED_EVENTS.validate_json(payload) for payload in payloads[seen:]], batch)


async def timed(handle: Callable[[Sequence[Any]], Awaitable[Any]], items: Sequence[Any], batch: int) -> tuple[float, float, int]:
    started, server_started = time.process_time(), server_cpu_seconds()
    await in_batches(handle, items, batch)
    per_item = 1e6 / max(len(items), 1)
    return (time.process_time() - started) * per_item, (server_cpu_seconds() - server_started) * per_item, len(items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--service", choices=["tracker", "escalation", "notifier"], default="tracker")
    parser.add_argument("--workload", choices=["fresh", "known"], default="fresh")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--updates", type=int, default=3072)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    tune_gc()  # as the services run

    async def run() -> tuple[float, float, int]:
        async with throwaway_schemas():
            return await measure(args.service, args.workload, args.updates, args.batch, args.db)

    cpu, server_cpu, handled = asyncio.run(run())
    figures = {"service": args.service, "db": args.db, "workload": args.workload, "batch": args.batch, "updates": args.updates,
               "handled": handled, "cpu_us_per_item": round(cpu)}
    if args.db == "postgres":
        figures["server_cpu_us_per_item"] = round(server_cpu)
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
