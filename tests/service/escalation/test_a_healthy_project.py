"""A project that does everything right is never escalated: from October to July it sends its ledger on the 3rd, on its
monthly plan and its promises, and finishes its milestone before the planned day. Swept every day across the year end, the
only escalation is the green reminder a week before that milestone, gone when it is done. A false alarm here (a ledger
"missing" between the 1st and the due day, a year's grade in January, a stale project that reported) would reach real
people."""
from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation.service import apply_changes, sweep
from services.escalation.tables import escalations
from shared.contracts import ProjectSnapshot, ProjectStateChanged
from tests.service.escalation.test_a_year_without_news import COUNTY, POLICY_FOR, at
from tests.support.databases import migrated

PROJECT = uuid.uuid5(uuid.NAMESPACE_URL, "healthy|1")
MONTHLY = 100_0000_00  # 100万元 planned, done and promised every month from March 2026
TOPPED_OUT = date(2027, 6, 28)  # 主体封顶, planned for 2027-06-30


def ledger_until(last: str) -> list[dict[str, Any]]:
    """January 2026 to `last`: nothing planned or done before the start in March, then on plan every month."""
    months, year, month = [], 2026, 1
    while f"{year:04d}-{month:02d}" <= last:
        before_start = (year, month) < (2026, 3)
        months.append({"month": f"{year:04d}-{month:02d}", "plan_fen": 0 if before_start else MONTHLY,
                       "investment_fen": 0 if before_start else MONTHLY,
                       "ytd_fen": MONTHLY * (month if year > 2026 else max(month - 2, 0)),
                       "next_month_plan_fen": 0 if (year, month) == (2026, 1) else MONTHLY, "next_month_plan": "按计划推进"})
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def reported(version: int, day: date) -> ProjectStateChanged:
    """What tracker sends after the report of `day`: the ledger up to last month."""
    last_month = day.replace(day=1) - timedelta(days=1)
    snapshot = ProjectSnapshot.model_validate({
        "project_id": PROJECT, "project_code": f"2603-{COUNTY}-04-01-000990", "name": "健康项目", "stage": "started",
        "leader": "陈立新", "lead_department": "区发改局", "responsible_unit": "某建设公司", "total_investment_fen": 50 * MONTHLY * 100,
        "annual_plan_fen": 10 * MONTHLY if day.year == 2026 else 12 * MONTHLY, "stats_enrolled_on": "2026-03-20",
        "milestones": [{"name": "开工", "planned": "2026-03-01", "actual": "2026-03-01"},
                       {"name": "主体封顶", "planned": "2027-06-30", **({"actual": TOPPED_OUT.isoformat()} if day >= TOPPED_OUT else {})},
                       {"name": "竣工", "planned": "2028-06-30"}],
        "ledger": ledger_until(f"{last_month:%Y-%m}"), "last_source_record_time": f"{day.isoformat()}T01:00:00Z",
    })
    return ProjectStateChanged(
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"healthy-state|{version}"), occurred_at=at(day), county_code=COUNTY,
        correlation_id=str(PROJECT), project_id=PROJECT, version=version, changed_fields=("ledger", "milestones", "annual_plan_fen"),
        snapshot=snapshot, caused_by=uuid.uuid5(uuid.NAMESPACE_URL, f"healthy-update|{version}"), source_system="发改局重点项目台账")


@pytest.fixture
async def sessions(database: tuple[str, str | None]) -> AsyncIterator[async_sessionmaker]:
    async with migrated("escalation", database) as sessions:
        yield sessions


async def test_a_project_on_plan_and_on_time_is_never_escalated_across_the_year_end(sessions: async_sessionmaker) -> None:
    day, version = date(2026, 10, 3), 0
    while day <= date(2027, 7, 10):
        if day.day == 3 or day == TOPPED_OUT:  # its report, or the milestone done
            version += 1
            await apply_changes(sessions, [reported(version, day)], POLICY_FOR, day, at(day))
        else:
            await sweep(sessions, POLICY_FOR, day, at(day))
        day += timedelta(days=1)

    async with sessions() as session:
        rows = (await session.execute(select(escalations.c.rule_id, escalations.c.subject, escalations.c.evidence, escalations.c.as_of,
                                             escalations.c.status))).all()
    assert [(rule, subject, evidence["colour"], as_of, status) for rule, subject, evidence, as_of, status in rows] == [
        ("R4.milestone", "milestone:主体封顶", "green", date(2027, 6, 23), "cleared")]
