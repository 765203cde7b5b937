"""A county's year of daily sweeps (not a test): bench.sweep's projects, swept every day for a year after the first sweep.

    .venv/bin/python -m bench.sweep_year [--projects 20000] [--days 400] [--db sqlite|postgres|both]

bench.sweep times chosen days; this one finds the days nobody chose. Each day's sweep reads the projects due and
climbs the cases due; a rule whose due days are too coarse shows as a day that reads many projects and changes few,
and one-at-a-time writes show as a day whose many changes are slow. Prints the year's total and its slowest days
(seconds, projects read, escalation events, case events), and every day that read more than 5% of the projects.
"""
from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker

from bench.sweep import AS_OF, CHUNK_SWEEP, POLICIES, on_each_database, store_bench_parser
from services.escalation.policy_file import policies
from services.escalation.service import SweepReport, sweep

SLOWEST = 8


async def year(sessions: async_sessionmaker, n: int, days: int) -> None:
    policy_for = policies(POLICIES)
    swept: list[tuple[float, date, SweepReport]] = []
    for offset in range(days):
        day = AS_OF + timedelta(days=offset)
        started = time.perf_counter()
        report = await sweep(sessions, policy_for, day, datetime.now(UTC), chunk=CHUNK_SWEEP)
        swept.append((time.perf_counter() - started, day, report))
    first, rest = swept[0], swept[1:]
    print(f"  first sweep ({first[1]}): {first[0]:.1f} s; the {len(rest)} days after: {sum(s for s, _, _ in rest):.1f} s in all")
    print(f"  slowest {SLOWEST} days after the first:")
    for seconds, day, report in sorted(rest, key=lambda item: -item[0])[:SLOWEST]:
        print(f"    {day} {seconds:6.2f} s  {report.projects:>8,} projects read  {report.events:>8,} escalation events  "
              f"{report.case_events:>8,} case events")
    wide = [(day, report) for _, day, report in rest if report.projects > n / 20]
    print(f"  days reading more than 5% of the projects: {len(wide)}")
    for day, report in wide:
        print(f"    {day} {report.projects:>8,} projects read, {report.events:>8,} escalation events")


if __name__ == "__main__":
    parser = store_bench_parser(__doc__, 20_000)
    parser.add_argument("--days", type=int, default=400)
    args = parser.parse_args()
    asyncio.run(on_each_database(args.db, lambda sessions: year(sessions, args.projects, args.days), args.projects))
