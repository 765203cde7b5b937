"""Bulletin generation on a real database (SQLite and PostgreSQL): revisions, the outbox event, the monthly
schedule (once), the HTTP API, and a policy backtest over stored history."""
from __future__ import annotations

import io
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from openpyxl import load_workbook
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation.bulletin.api import build_bulletin_api
from services.escalation.bulletin.schedule import BulletinSchedule
from services.escalation.bulletin.service import generate_bulletin
from services.escalation.policy_file import policies
from services.escalation.tables import bulletins, outbox, project_facts, project_facts_history
from services.escalation.whatif import backtest, load_history, load_proposed_policy
from shared.clock import FixedClock
from shared.contracts import BulletinPublished, ProjectSnapshot
from shared.db import make_engine, migrate, session_factory

ROOT = Path(__file__).resolve().parents[3]
POLICY_DIR = ROOT / "config" / "policies"
POLICY_FOR = policies(POLICY_DIR)
COUNTY = "330106"
NOW = datetime(2026, 7, 1, 1, 0, tzinfo=UTC)  # 09:00 Beijing on 1 July


def snapshot(n: int, **fields: Any) -> dict[str, Any]:
    base = {"project_id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"bulletin-test-{n}")), "name": f"测试项目{n}", "leader": "陈立新",
            "lead_department": "发改局", "responsible_unit": "住建局", "township": "留下街道", "annual_plan_fen": 100_000_000,
            "milestones": [{"name": "开工", "planned": "2026-03-01", **({"actual": "2026-03-02"} if n % 2 else {})}],
            "ledger": [{"month": "2026-06", "ytd_fen": 25_000_000 * n}], **fields}
    return ProjectSnapshot.model_validate(base).model_dump(mode="json")


@pytest.fixture
async def sessions(database: tuple[str, str | None]) -> AsyncIterator[async_sessionmaker]:
    url, schema = database
    await migrate(ROOT / "services" / "escalation" / "migrations", url, schema)
    engine = make_engine(url, schema)
    factory = session_factory(engine)
    async with factory() as session, session.begin():
        await session.execute(insert(project_facts), [
            {"project_id": snapshot(n)["project_id"], "county_code": COUNTY, "version": 1, "snapshot": snapshot(n), "updated_at": NOW}
            for n in (1, 2, 3, 4)
        ])
    yield factory
    await engine.dispose()


async def outbox_events(sessions: async_sessionmaker) -> list[tuple[str, dict[str, Any]]]:
    async with sessions() as session:
        rows = (await session.execute(select(outbox.c.subject, outbox.c.payload).order_by(outbox.c.seq))).all()
    return [(subject, json.loads(bytes(payload))) for subject, payload in rows]


async def test_each_generation_is_a_new_revision_with_its_event(sessions: async_sessionmaker) -> None:
    first = await generate_bulletin(sessions, COUNTY, "2026-06", date(2026, 6, 30), NOW, POLICY_FOR(COUNTY))
    second = await generate_bulletin(sessions, COUNTY, "2026-06", date(2026, 6, 30), NOW, POLICY_FOR(COUNTY))
    assert first is not None and second is not None
    assert (first["revision"], second["revision"]) == (1, 2) and first["bulletin_id"] != second["bulletin_id"]
    assert first["figures"]["start_rate"]["percent"] == "50.0"  # projects 1 and 3 started of 4 planned
    assert first["figures"]["investment"]["completion_percent"] == str(Decimal(25 * (1 + 2 + 3 + 4) * 100) / Decimal(4 * 100))  # 万元 done of planned
    events = await outbox_events(sessions)
    assert [subject for subject, _ in events] == ["county.330106.bulletin.published"] * 2
    published = [BulletinPublished.model_validate(body) for _, body in events]
    assert [str(e.bulletin_id) for e in published] == [first["bulletin_id"], second["bulletin_id"]]
    assert len({e.event_id for e in published}) == 2
    recipients = {(r.kind.value, r.name) for r in published[0].recipients}
    assert {("office", "区重点项目办"), ("leader", "陈立新"), ("department", "发改局"), ("department", "自然资源局")} <= recipients
    assert published[0].headline["start_rate_percent"] == "50.0"
    assert published[1].links["xlsx"].endswith("/bulletins/2026-06.xlsx?revision=2")


async def test_the_monthly_run_makes_last_months_bulletin_once_from_the_publish_day(sessions: async_sessionmaker) -> None:
    clock = FixedClock(NOW)  # 1 July: June's ledgers are due by the 5th, the bulletin comes out on the 6th
    schedule = BulletinSchedule(sessions, clock, POLICY_FOR, POLICY_DIR)
    other_replica = BulletinSchedule(sessions, clock, POLICY_FOR, POLICY_DIR)
    assert await schedule.tick() == 0
    clock.set(datetime(2026, 7, 5, 1, 0, tzinfo=UTC))
    assert await schedule.tick() == 0
    clock.set(datetime(2026, 7, 8, 1, 0, tzinfo=UTC))  # down on the 6th and 7th: the first run after catches up
    assert await schedule.tick() == 1
    assert await other_replica.tick() == 0  # the bulletin exists: nothing again
    clock.set(datetime(2026, 7, 20, 1, 0, tzinfo=UTC))
    assert await schedule.tick() == 0
    async with sessions() as session:
        rows = (await session.execute(select(bulletins.c.month, bulletins.c.revision, bulletins.c.as_of))).all()
    assert [tuple(r) for r in rows] == [("2026-06", 1, date(2026, 6, 30))]
    assert len(await outbox_events(sessions)) == 1


async def test_http_lists_serves_documents_and_generates(sessions: async_sessionmaker) -> None:
    app = FastAPI()
    app.include_router(build_bulletin_api(sessions, FixedClock(datetime(2026, 6, 15, 1, tzinfo=UTC)), POLICY_FOR, POLICY_DIR))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://escalation") as client:
        assert (await client.get(f"/internal/counties/{COUNTY}/bulletins/2026-06.html")).status_code == 404
        made = await client.post(f"/internal/counties/{COUNTY}/bulletins/2026-06")
        assert made.status_code == 201 and made.json()["as_of"] == "2026-06-15"  # mid-month: as of today
        assert (await client.post(f"/internal/counties/{COUNTY}/bulletins/2026-07")).status_code == 422  # not started yet
        # Not calendar months a bulletin can be of (the fuzzing found year 0 a 500): refused, named.
        for month in ("0000-01", "0001-01", "\u0662\u0660\u0662\u0666-01"):
            refused = await client.post(f"/internal/counties/{COUNTY}/bulletins/{month}")
            assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["path", "month"], (month, refused.text)
        await client.post(f"/internal/counties/{COUNTY}/bulletins/2026-06")
        listed = (await client.get(f"/internal/counties/{COUNTY}/bulletins")).json()["bulletins"]
        assert [b["revision"] for b in listed] == [2, 1] and listed[0]["headline"]["projects"] == "4"
        html = await client.get(f"/internal/counties/{COUNTY}/bulletins/2026-06.html")
        assert html.headers["content-type"].startswith("text/html") and "第 2 版" in html.text
        first = await client.get(f"/internal/counties/{COUNTY}/bulletins/2026-06.xlsx?revision=1")
        beyond = await client.get(f"/internal/counties/{COUNTY}/bulletins/2026-06.xlsx?revision={2**64}")  # fuzzing: was a 500
        assert beyond.status_code == 422 and beyond.json()["detail"][0]["loc"] == ["query", "revision"], beyond.text
        book = load_workbook(io.BytesIO(first.content))
        assert "第1版" in book[book.sheetnames[0]]["A1"].value
        docx = await client.get(f"/internal/counties/{COUNTY}/bulletins/2026-06.docx")
        assert docx.content[:2] == b"PK"


def overrun(n: int, percent: int) -> dict[str, Any]:
    return snapshot(100 + n, government_funded=True, budget_fen=100_000_000_00, committed_cost_fen=100_000_000 * (100 + percent),
                    spent_cost_fen=0)


async def test_backtest_a_lower_overrun_threshold_raises_more_reds(sessions: async_sessionmaker, tmp_path: Path) -> None:
    # Known from: a 25% overrun from March, a 15% one from May, a 12% one only after the period.
    history = [(overrun(1, 25), datetime(2025, 3, 10, tzinfo=UTC)), (overrun(2, 5), datetime(2025, 2, 1, tzinfo=UTC)),
               (overrun(2, 15), datetime(2025, 5, 3, tzinfo=UTC)), (overrun(3, 12), datetime(2026, 2, 1, tzinfo=UTC))]
    async with sessions() as session, session.begin():
        await session.execute(insert(project_facts_history), [
            {"project_id": snap["project_id"], "county_code": COUNTY, "version": v, "snapshot": snap, "known_from": known, "recorded_at": known}
            for v, (snap, known) in enumerate(history, 1)
        ])
    proposed = tmp_path / "proposed.toml"
    proposed.write_text('county_name = "西湖区"\n[budget_overrun]\ncase_percent = "10"\n', encoding="utf-8")
    versions = await load_history(sessions, COUNTY)
    rows = {r.rule_id: r for r in backtest(versions, POLICY_FOR(COUNTY), load_proposed_policy(COUNTY, proposed, POLICY_DIR),
                                           date(2025, 1, 1), date(2025, 12, 31))}
    overrun_row = rows["R2.budget_overrun"]
    assert (overrun_row.reds_current, overrun_row.reds_proposed) == (1, 2)
    # Under 20% the 15% project is a yellow; under 10% it is red, and the 5% version (Feb–Apr) was a yellow under both.
    assert (overrun_row.yellows_current, overrun_row.yellows_proposed) == (1, 1)
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(bulletins)) == 0
