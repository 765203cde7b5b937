"""The case list at scale (not a test): a county whose cases have piled up, read as the console and the CLI read it.

    .venv/bin/python -m bench.case_lists [--projects 5000] [--open-every 20] [--db sqlite|postgres|both]

N projects each open two cases (a budget overrun and idle land, as in bench.cases_together); then all but every
`--open-every`-th case are closed, as a year's work leaves them. It times GET /api/cases through the ASGI app in-process
(what escalation spends; no network) as the county's office and as one department, asking for the default page and for
the open ones (what the console's queue asks for), and prints the median ms of wall time, rows and bytes of each answer.
"""
from __future__ import annotations

import asyncio
import statistics
import time
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from bench.cases_together import ARRIVED, change
from bench.sweep import POLICIES, on_each_database, store_bench_parser
from services.escalation.cases.api import build_case_api
from services.escalation.cases.people import add_person
from services.escalation.cases.policy import case_policies
from services.escalation.policy_file import policies
from services.escalation.service import apply_changes
from services.escalation.tables import cases
from shared.clock import FixedClock

COUNTY = "330106"
ROUNDS = 3


async def fill(sessions: async_sessionmaker, n: int, open_every: int) -> int:
    policy_for, now = policies(POLICIES), datetime.now(UTC)
    for start in range(0, n, 500):
        await apply_changes(sessions, [change(k, 1, 5) for k in range(start, min(n, start + 500))], policy_for, ARRIVED, now)
    async with sessions() as session, session.begin():
        ids = list((await session.scalars(select(cases.c.case_id).order_by(cases.c.case_id))).all())
        closing = [case_id for k, case_id in enumerate(ids) if k % open_every]
        for start in range(0, len(closing), 5000):
            await session.execute(update(cases).where(cases.c.case_id.in_(closing[start:start + 5000])).values(state="closed"))
    return len(ids)


async def timed(client: httpx.AsyncClient, token: str, params: dict[str, Any]) -> tuple[float, int, int, str]:
    walls, answer = [], None
    for _ in range(ROUNDS):
        started = time.perf_counter()
        answer = await client.get("/api/cases", params=params, headers={"Authorization": f"Bearer {token}"})
        walls.append(time.perf_counter() - started)
    assert answer is not None
    rows = len(answer.json().get("cases", [])) if answer.status_code == 200 else 0
    return statistics.median(walls) * 1000, rows, len(answer.content), f"{answer.status_code}"


async def run(sessions: async_sessionmaker, n: int, open_every: int) -> None:
    started = time.perf_counter()
    total = await fill(sessions, n, open_every)
    print(f"  {total:,} cases, {total // open_every:,} of them open (filled in {time.perf_counter() - started:.0f} s)")
    app = FastAPI()
    app.include_router(build_case_api(sessions, FixedClock(datetime(2026, 1, 21, 2, tzinfo=UTC)), policies(POLICIES), case_policies(POLICIES)))
    people = {"office": await add_person(sessions, COUNTY, "office", "项目办", "office"),
              "发改局": await add_person(sessions, COUNTY, "fgj", "发改局", "department", "发改局")}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://escalation") as client:
        for who, (_, token) in people.items():
            for label, params in (("default page", {}), ("open, as the console asks", {"open": "true", "limit": 5000})):
                ms, rows, size, status = await timed(client, token, params)
                print(f"  {who:6} {label:26}: HTTP {status}, {ms:8,.0f} ms, {rows:6,} rows, {size / 1e6:6.1f} MB")


if __name__ == "__main__":
    parser = store_bench_parser(__doc__, 5_000)
    parser.add_argument("--open-every", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(on_each_database(args.db, lambda sessions: run(sessions, args.projects, args.open_every)))
