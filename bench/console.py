"""Console page benchmark (not a test): a county of 2,000 projects in the read model, the overview and filtered lists timed.

    .venv/bin/python -m bench.console [--projects 2000] [--requests 50] [--database-url postgresql+asyncpg://…/test --schema bench_console]

Fills the read model through its own event handlers (projects with milestones, ledgers and 征迁 counts, a
third of them with escalations and cases), signs in as the county's project office, then renders each page
`--requests` times through the ASGI app in-process (what the server spends; no network) and prints p50/p95.
The target (issue #6) is under 300 ms for the overview and a filtered list.
"""
from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI

from services.console.app import add_pages
from services.console.escalation_api import EscalationApi
from services.console.projection.alerts import apply_case_events, apply_escalation_events
from services.console.projection.projects import apply_project_changes
from services.console.settings import Settings
from services.console.web import Console, templates
from shared.clock import FixedClock
from shared.contracts import CaseChanged, EscalationRaised, ProjectSnapshot, ProjectStateChanged, Recipient
from shared.db import make_engine, migrate, session_factory

COUNTY = "330106"
NOW = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)
TOWNS = ("转塘街道", "三墩镇", "留下街道", "西溪街道", "蒋村街道", "双浦镇", "灵隐街道", "北山街道")
UNITS = ("住建局", "发改局", "经信局", "交通局", "水利局", "商务局", "教育局", "卫健局", "文旅局", "城投集团")
LEADERS = ("陈立新", "周晓燕", "王海", "李强", "赵敏", "孙伟")
STAGES = ("reserve", "negotiating", "signed", "started", "started", "started", "completed", "in_production")
MIGRATIONS = Path(__file__).resolve().parents[1] / "services" / "console" / "migrations"
PERSON = {"person_id": "p-office", "county_code": COUNTY, "login": "office", "name": "项目办", "role": "office", "department": None}


EMPTY_LISTS = {"/api/problems": "problems", "/api/assignments": "assignments", "/api/referrals": "referrals"}


def escalation_stub() -> httpx.MockTransport:
    """Sign-in, and empty problem lists for the overview's must-act group: the pages timed here read the read model;
    escalation's own time for those lists is not counted."""
    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path in EMPTY_LISTS:
            return httpx.Response(200, json={EMPTY_LISTS[path]: []})
        return httpx.Response(200, json={"token": "t", "person": PERSON} if path == "/api/login" else PERSON)
    return httpx.MockTransport(answer)


def changed(n: int, rng: random.Random) -> ProjectStateChanged:
    pid = uuid.uuid5(uuid.NAMESPACE_URL, f"bench-console-{n}")
    start = date(2026, 1, 1) + timedelta(days=rng.randrange(0, 365))
    facts = {
        "project_id": pid, "project_code": f"2403-{COUNTY}-04-01-{n:06d}", "name": f"{rng.choice(TOWNS)}重点项目{n}号",
        "stage": rng.choice(STAGES), "nature": rng.choice(("new", "continuing")), "township": rng.choice(TOWNS),
        "responsible_unit": rng.choice(UNITS), "lead_department": rng.choice(UNITS), "leader": rng.choice(LEADERS),
        "total_investment_fen": rng.randrange(10**9, 10**11), "annual_plan_fen": rng.randrange(10**8, 10**10),
        "investment_ytd_fen": rng.randrange(0, 10**9),
        "milestones": [{"name": "开工", "planned": start.isoformat(), "actual": (start + timedelta(days=5)).isoformat() if start < NOW.date() and rng.random() < 0.7 else None},
                       {"name": "竣工", "planned": (start + timedelta(days=400)).isoformat()}],
        "ledger": [{"month": f"2026-{m:02d}", "plan_fen": 10**8, "investment_fen": rng.randrange(0, 2 * 10**8)} for m in range(1, 6)],
        "expropriation": [{"as_of": f"2026-0{m}-01", "households_total": 100, "households_signed": 15 * m} for m in range(1, 6)],
        "last_source_record_time": NOW - timedelta(days=rng.randrange(0, 60)),
    }
    snapshot = ProjectSnapshot.model_validate(facts)
    return ProjectStateChanged(event_id=uuid.uuid4(), occurred_at=NOW, county_code=COUNTY, correlation_id="bench", project_id=pid,
                               version=1, changed_fields=tuple(facts), snapshot=snapshot, caused_by=uuid.uuid4(), source_system="发改局项目库")


def alerts(event: ProjectStateChanged, rng: random.Random) -> tuple[EscalationRaised, CaseChanged]:
    eid = uuid.uuid5(event.project_id, "R1")
    department = Recipient(kind="department", name=rng.choice(("自然资源局", "发改局", "住建局")))
    raised = EscalationRaised(event_id=uuid.uuid4(), occurred_at=NOW, county_code=COUNTY, correlation_id="bench", escalation_id=eid,
                              project_id=event.project_id, subject="parcel:P", rule_id=rng.choice(("R1.idle_land", "R4.milestone")),
                              rule_version=1, level=rng.choice((1, 2, 3)), level_name="预警", as_of=NOW.date(),
                              evidence={"colour": rng.choice(("red", "yellow")), "rule_source": "闲置土地处置办法"},
                              recipients=(department,), summary="bench")
    case = CaseChanged(event_id=uuid.uuid4(), occurred_at=NOW, county_code=COUNTY, correlation_id="bench", case_id=uuid.uuid5(eid, "case"),
                       escalation_id=eid, project_id=event.project_id, rule_id=raised.rule_id, action="opened", state="opened",
                       ladder_level=rng.choice((1, 2)), level_name="L1", due_on=NOW.date() + timedelta(days=rng.randrange(-10, 20)),
                       recipients=(department,), summary="bench")
    return raised, case


async def fill(console: Console, projects: int) -> None:
    rng = random.Random(6)
    events = [changed(n, rng) for n in range(1, projects + 1)]
    for i in range(0, len(events), 250):
        await apply_project_changes(console.sessions, events[i:i + 250], NOW)
    flagged = [alerts(e, rng) for e in events if rng.random() < 0.35]
    for i in range(0, len(flagged), 250):
        await apply_escalation_events(console.sessions, [r for r, _ in flagged[i:i + 250]], NOW)
        await apply_case_events(console.sessions, [c for _, c in flagged[i:i + 250]], NOW)


async def timed(client: httpx.AsyncClient, path: str, requests: int) -> list[float]:
    await client.get(path)  # warm: templates compiled, statements cached
    spent = []
    for _ in range(requests):
        started = time.perf_counter()
        response = await client.get(path)
        spent.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return spent


async def main(projects: int, requests: int, url: str | None, schema: str | None) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-console-"))
    url = url or f"sqlite+aiosqlite:///{workdir / 'console.db'}"
    await migrate(MIGRATIONS, url, schema)
    engine = make_engine(url, schema)
    api = EscalationApi("http://escalation", transport=escalation_stub())
    console = Console(session_factory(engine), api, FixedClock(NOW), Settings(_env_file=None), templates())  # type: ignore[call-arg]
    app = add_pages(FastAPI(), console)
    started = time.perf_counter()
    await fill(console, projects)
    print(f"read model filled: {projects} projects in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://console") as client:
        await client.post("/login", data={"login": "office", "password": "x"})
        for path in ("/", "/projects?colour=red", "/projects?township=三墩镇&stage=started&sort=-total_investment",
                     "/projects?view=in_progress&leader=陈立新", "/projects", "/rankings", "/idle-land"):
            spent = await timed(client, path, requests)
            p50, p95 = statistics.median(spent), statistics.quantiles(spent, n=20)[18]
            print(f"{path:<62} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   ({requests} requests)")
    await api.close()
    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--database-url")
    parser.add_argument("--schema")
    args = parser.parse_args()
    asyncio.run(main(args.projects, args.requests, args.database_url, args.schema))
