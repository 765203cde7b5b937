"""A year in which no project reports anything: the clock may raise and climb, but nothing it does can be a condition that
cleared, for no fact changed. Each escalation stands from the day it is raised; the one that closes is the year's grade
of an investment plan, at the year's end, and it says the period ended. (R4's missing ledger was "cleared" on the 1st of
every month and raised again on the 5th; R5's year's grade was called cleared on 1 January.)"""
from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation.evaluation import RULE_IDS
from services.escalation.policy_file import policies
from services.escalation.service import apply_changes, sweep
from services.escalation.tables import escalations, outbox
from shared.contracts import ProjectSnapshot, ProjectStateChanged
from tests.support.databases import migrated

POLICY_FOR = policies(Path(__file__).resolve().parents[3] / "config" / "policies")
COUNTY = "330106"
BEIJING = timezone(timedelta(hours=8))
FIRST_DAY, LAST_DAY = date(2026, 11, 20), date(2028, 1, 10)


def at(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), BEIJING).astimezone(UTC)


def under_construction() -> dict[str, Any]:
    """Started in March 2026 yet its parcel untouched, behind its plan and its promises, its permit late, its funds and a
    supplier unpaid, not enrolled in the statistics, and silent since October."""
    zero = {"investment_fen": 0}
    return {
        "name": "西湖数字装备基地", "stage": "started", "total_investment_fen": 80_000_000_00, "annual_plan_fen": 1_200_000_00,
        "ledger": [{"month": "2026-07", **zero}, {"month": "2026-08", **zero},
                   {"month": "2026-09", **zero, "ytd_fen": 100_000_00, "next_month_plan_fen": 300_000_00, "next_month_plan": "主体封顶"},
                   {"month": "2026-10", **zero, "ytd_fen": 100_000_00}],
        "milestones": [{"name": "开工", "planned": "2026-03-01", "actual": "2026-03-31"},
                       {"name": "施工许可", "planned": "2026-09-30", "blocking_department": "区住建局"}],
        "central_funds": [{"batch_id": "2026-中央-01", "issued_on": "2026-05-20", "amount_fen": 3_000_000_00, "paid_fen": 0}],
        "sme_payments": [{"payment_id": "F-17", "supplier": "小微机电", "accepted_on": "2026-09-01", "amount_fen": 88_000_00}],
        "land_parcels": [{"parcel_id": "XH-9", "agreed_start_date": "2025-09-01", "land_price_fen": 1_000_000_00}],
        "last_source_record_time": "2026-11-03T01:00:00Z",
    }


def not_started() -> dict[str, Any]:
    """Signed, its land idle since March 2025, over budget without approval, funds unstarted, its 核准 running out."""
    return {
        "name": "城西科创园", "stage": "signed", "government_funded": True, "total_investment_fen": 50_000_000_00,
        "land_parcels": [{"parcel_id": "XH-1", "agreed_start_date": "2025-03-01", "land_price_fen": 2_000_000_00}],
        "budget_fen": 10_000_000_00, "committed_cost_fen": 12_500_000_00,
        "central_funds": [{"batch_id": "2026-中央-02", "issued_on": "2026-03-01", "amount_fen": 5_000_000_00}],
        "approval": {"kind": "approved", "approved_on": "2025-06-01"},
        "milestones": [{"name": "开工", "planned": "2026-06-01"}],
        "last_source_record_time": "2026-11-03T01:00:00Z",
    }


def reported(n: int, facts: dict[str, Any]) -> ProjectStateChanged:
    project_id = uuid.uuid5(uuid.NAMESPACE_URL, f"no-news|{n}")
    snapshot = ProjectSnapshot.model_validate({
        "project_id": project_id, "project_code": f"2603-{COUNTY}-04-01-00080{n}", "leader": "陈立新", "lead_department": "区发改局",
        "responsible_unit": "某建设公司", **facts})
    return ProjectStateChanged(
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"no-news-state|{n}"), occurred_at=at(FIRST_DAY), county_code=COUNTY,
        correlation_id=str(project_id), project_id=project_id, version=1, changed_fields=tuple(facts), snapshot=snapshot,
        caused_by=uuid.uuid5(uuid.NAMESPACE_URL, f"no-news-update|{n}"), source_system="发改局重点项目台账")


@pytest.fixture
async def sessions(database: tuple[str, str | None]) -> AsyncIterator[async_sessionmaker]:
    async with migrated("escalation", database) as sessions:
        yield sessions


async def test_in_a_year_without_news_nothing_is_called_cleared(sessions: async_sessionmaker) -> None:
    await apply_changes(sessions, [reported(1, under_construction()), reported(2, not_started())], POLICY_FOR, FIRST_DAY, at(FIRST_DAY))
    day = FIRST_DAY
    while day < LAST_DAY:
        day += timedelta(days=1)
        await sweep(sessions, POLICY_FOR, day, at(day))

    async with sessions() as session:
        rows = (await session.execute(select(escalations.c.rule_id, escalations.c.subject, escalations.c.status,
                                             escalations.c.project_id))).all()
        events = [json.loads(bytes(payload)) for payload in (await session.execute(select(outbox.c.payload))).scalars()]
    assert {rule_id for rule_id, *_ in rows} == set(RULE_IDS)  # the year exercises the whole rulebook, not one rule
    # One escalation per project, rule and subject: none was closed and raised again.
    assert [key for key, count in Counter((project, rule_id, subject) for rule_id, subject, _, project in rows).items() if count > 1] == []
    assert sorted((rule_id, subject) for rule_id, subject, status, _ in rows if status != "open") == [
        ("R5.investment_progress", "investment:ytd")]
    resolved = [event for event in events if event.get("kind") == "resolved"]
    assert [(event["subject"], event["resolution"], event["as_of"]) for event in resolved] == [
        ("investment:ytd", "period_ended", "2027-01-01")]
