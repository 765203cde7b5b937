"""Shared parts of the case tests: a project whose budget overrun raises an escalation, a store, and an API client."""
from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation.cases.advance import advance_cases
from services.escalation.cases.api import build_case_api
from services.escalation.cases.policy import case_policies
from services.escalation.policy_file import policies
from services.escalation.service import apply_changes
from services.escalation.tables import case_actions, cases, outbox
from shared.clock import FixedClock
from shared.contracts import ProjectSnapshot, ProjectStateChanged
from shared.db import make_engine, migrate, session_factory

ROOT = Path(__file__).resolve().parents[3]
MIGRATIONS = ROOT / "services" / "escalation" / "migrations"
POLICY_DIR = ROOT / "config" / "policies"
POLICY_FOR = policies(POLICY_DIR)
CASE_POLICY_FOR = case_policies(POLICY_DIR)
OVERRUN = "R2.budget_overrun"
BEIJING = timezone(timedelta(hours=8))
BUDGET = 100_000_000_00


def at(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), BEIJING).astimezone(UTC)


def project_id(county: str, n: int) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"case-test|{county}|{n}")


def overrun_change(county: str, n: int, percent_over: int, lead: str = "发改局", leader: str = "陈立新",
                   version: int = 1) -> ProjectStateChanged:
    """A government-funded project whose committed cost is `percent_over` % over its budget, unapproved."""
    pid = project_id(county, n)
    snap = ProjectSnapshot.model_validate({
        "project_id": pid, "project_code": f"2403-{county}-04-01-{n:06d}", "name": f"测试项目{n}", "stage": "started",
        "leader": leader, "lead_department": lead, "responsible_unit": "住建局", "government_funded": True, "budget_fen": BUDGET,
        "committed_cost_fen": BUDGET * (100 + percent_over) // 100, "spent_cost_fen": BUDGET // 2,
    })
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"state|{pid}|{version}")
    return ProjectStateChanged(
        event_id=event_id, occurred_at=datetime(2026, 1, 1, tzinfo=UTC), county_code=county, correlation_id=f"{county}:{pid}",
        project_id=pid, version=version, changed_fields=("committed_cost_fen",), snapshot=snap,
        caused_by=uuid.uuid5(uuid.NAMESPACE_URL, f"update|{event_id}"), source_system="财政局支付台账",
    )


def idle_change(county: str, n: int, agreed_start: str = "2024-06-01") -> ProjectStateChanged:
    """Land agreed to start on `agreed_start` and never started: red (the idle fee, 自然资源局) a full year later."""
    pid = project_id(county, n)
    snap = ProjectSnapshot.model_validate({
        "project_id": pid, "project_code": f"2403-{county}-04-01-{n:06d}", "name": f"测试项目{n}", "stage": "signed",
        "leader": "陈立新", "lead_department": "发改局", "responsible_unit": "住建局",
        "land_parcels": [{"parcel_id": f"XH-{n}", "agreed_start_date": agreed_start, "land_price_fen": 30_000_000_00}],
    })
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"idle-state|{pid}|1")
    return ProjectStateChanged(
        event_id=event_id, occurred_at=datetime(2026, 1, 1, tzinfo=UTC), county_code=county, correlation_id=f"{county}:{pid}",
        project_id=pid, version=1, changed_fields=("land_parcels",), snapshot=snap,
        caused_by=uuid.uuid5(uuid.NAMESPACE_URL, f"idle-update|{event_id}"), source_system="自然资源局供地台账",
    )


async def raise_idle(sessions: async_sessionmaker, day: date, county: str = "330106", n: int = 1) -> dict[str, Any]:
    """Apply idle land on `day` (over a year past its agreed start: red) and return the case it opened."""
    await apply_changes(sessions, [idle_change(county, n)], POLICY_FOR, day, at(day))
    [row] = [r for r in await case_rows(sessions) if r["rule_id"] == "R1.idle_land" and r["project_id"] == str(project_id(county, n))]
    return row


async def open_store(url: str, schema: str | None) -> tuple[Any, async_sessionmaker]:
    await migrate(MIGRATIONS, url, schema)
    engine = make_engine(url, schema)
    return engine, session_factory(engine)


async def raise_overrun(sessions: async_sessionmaker, day: date, county: str = "330106", n: int = 1, percent_over: int = 5,
                        **names: str) -> dict[str, Any]:
    """Apply the project on `day` and return the case its budget-overrun escalation opened."""
    await apply_changes(sessions, [overrun_change(county, n, percent_over, **names)], POLICY_FOR, day, at(day))
    [row] = [r for r in await case_rows(sessions) if r["rule_id"] == OVERRUN and r["project_id"] == str(project_id(county, n))]
    return row


async def advance(sessions: async_sessionmaker, day: date) -> list[Any]:
    async with sessions() as session, session.begin():
        return await advance_cases(session, None, day, at(day), policy_for=POLICY_FOR, case_policy_for=CASE_POLICY_FOR)


async def case_rows(sessions: async_sessionmaker) -> list[dict[str, Any]]:
    async with sessions() as session:
        return [dict(r) for r in (await session.execute(select(cases).order_by(cases.c.opened_on, cases.c.case_id))).mappings()]


async def case_row(sessions: async_sessionmaker, case_id: str) -> dict[str, Any]:
    async with sessions() as session:
        return dict((await session.execute(select(cases).where(cases.c.case_id == case_id))).mappings().one())


async def actions_of(sessions: async_sessionmaker, case_id: str) -> list[dict[str, Any]]:
    async with sessions() as session:
        return [dict(r) for r in (await session.execute(
            select(case_actions).where(case_actions.c.case_id == case_id).order_by(case_actions.c.id))).mappings()]


async def case_events(sessions: async_sessionmaker, case_id: str | None = None) -> list[dict[str, Any]]:
    """CaseChanged events waiting in the outbox, with their subject as `nats_subject`."""
    async with sessions() as session:
        rows = (await session.execute(select(outbox.c.subject, outbox.c.payload).where(outbox.c.subject.like("%.case.%"))
                                      .order_by(outbox.c.seq))).all()
    events = [{**json.loads(bytes(payload)), "nats_subject": subject} for subject, payload in rows]
    return [e for e in events if case_id is None or e["case_id"] == case_id]


def case_app(sessions: async_sessionmaker, clock: FixedClock) -> FastAPI:
    app = FastAPI()
    app.include_router(build_case_api(sessions, clock, POLICY_FOR, CASE_POLICY_FOR))
    return app
