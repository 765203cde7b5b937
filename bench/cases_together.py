"""Cases moved together (not a test): many rules rising on one day, many conditions clearing in a batch of changes.

    .venv/bin/python -m bench.cases_together [--projects 2000] [--batch 200] [--db sqlite|postgres|both]

N projects arrive on 2026-01-20 (through escalation's apply_changes, in batches), each with land idle since
2025-01-20 (yellow: a case at L1) and a budget overrun of 5% (yellow: a case at L1). Then it times:
1. the sweep of 2026-01-21, on which every parcel has lain idle a year (red: each case climbs to L2 with a letter);
2. the same projects' budgets corrected, in batches of `--batch` changes: every overrun clears and its case is
   replied (条件已消除) for the office to review.
Prints µs of wall time and of this process's CPU per project for each.
"""
from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, date, datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bench.sweep import POLICIES, on_each_database, store_bench_parser
from services.escalation.policy_file import policies
from services.escalation.service import apply_changes, sweep
from services.escalation.tables import cases
from shared.contracts import ProjectSnapshot, ProjectStateChanged

ARRIVED, RISEN = date(2026, 1, 20), date(2026, 1, 21)
BUDGET = 100_000_000_00


def change(n: int, version: int, percent_over: int) -> ProjectStateChanged:
    project_id = uuid.UUID(int=n + 1)
    snapshot = ProjectSnapshot.model_validate({
        "project_id": project_id, "project_code": f"2501-330106-04-01-{n:06d}", "name": f"项目{n}", "stage": "signed",
        "leader": f"领导{n % 40}", "lead_department": "发改局", "responsible_unit": f"单位{n % 200}", "government_funded": True,
        "budget_fen": BUDGET, "committed_cost_fen": BUDGET * (100 + percent_over) // 100,
        "land_parcels": [{"parcel_id": f"P{n}", "agreed_start_date": "2025-01-20", "land_price_fen": 2_000_000_00}],
    })
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"cases-together|{n}|{version}")
    return ProjectStateChanged(event_id=event_id, occurred_at=datetime(2026, 1, 20, tzinfo=UTC), county_code="330106",
                               correlation_id=str(project_id), project_id=project_id, version=version,
                               changed_fields=("committed_cost_fen", "land_parcels"), snapshot=snapshot,
                               caused_by=uuid.uuid5(uuid.NAMESPACE_URL, f"cases-together-update|{n}|{version}"), source_system="bench")


def report(label: str, n: int, wall: float, cpu: float) -> None:
    print(f"  {label}: {wall / n * 1e6:,.0f} µs wall, {cpu / n * 1e6:,.0f} µs CPU per project")


async def run(sessions: async_sessionmaker, n: int, batch: int) -> None:
    policy_for = policies(POLICIES)
    now = datetime.now(UTC)
    for start in range(0, n, batch):
        await apply_changes(sessions, [change(k, 1, 5) for k in range(start, min(n, start + batch))], policy_for, ARRIVED, now)
    await sweep(sessions, policy_for, ARRIVED, now)  # a county's first sweep reads every project once
    wall, cpu = time.perf_counter(), time.process_time()
    risen = await sweep(sessions, policy_for, RISEN, now)
    report(f"1. the sweep of {RISEN} ({risen.projects:,} projects read, {risen.events:,} escalation events, "
           f"{await cases_where(sessions, cases.c.ladder_level == 2):,} cases at L2)", n, time.perf_counter() - wall, time.process_time() - cpu)
    wall, cpu = time.perf_counter(), time.process_time()
    for start in range(0, n, batch):
        await apply_changes(sessions, [change(k, 2, 0) for k in range(start, min(n, start + batch))], policy_for, RISEN, now)
    replied = await cases_where(sessions, cases.c.state == "replied")
    report(f"2. budgets corrected in batches of {batch} ({replied:,} cases replied: the overrun cleared)", n,
           time.perf_counter() - wall, time.process_time() - cpu)


async def cases_where(sessions: async_sessionmaker, condition: ColumnElement[bool]) -> int:
    async with sessions() as session:
        return await session.scalar(select(func.count()).select_from(cases).where(condition)) or 0


if __name__ == "__main__":
    parser = store_bench_parser(__doc__, 2_000)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    asyncio.run(on_each_database(args.db, lambda sessions: run(sessions, args.projects, args.batch)))
