"""A project behind its year's investment plan at the year's end: on 1 January its year-to-date escalation closes because
the year is over, not because the project caught up. Its case and its resolved event say so; the departments were told
"该事项已消除" (and the case "条件已消除") every New Year's Day before. The recent months' grade runs on across the year:
its case stands, where it was cleared and opened anew once a month of the new year was graded."""
from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from typing import Any

from cases_support import POLICY_FOR, actions_of, apply_changes, at, case_events, case_rows, open_store
from sqlalchemy import select

from services.escalation.bulletin.service import generate_bulletin
from services.escalation.cases.hooks import CLEARED_NOTE, PERIOD_ENDED_NOTE
from services.escalation.service import sweep
from services.escalation.tables import escalations, outbox
from shared.contracts import ProjectSnapshot, ProjectStateChanged

COUNTY = "330106"
PROGRESS = "R5.investment_progress"
PROJECT = uuid.uuid5(uuid.NAMESPACE_URL, "year-end|1")


def behind_all_year(version: int = 1, *more_months: str) -> ProjectStateChanged:
    """A plan of 1,200万元 a year and 10万元 done in each month from January: far behind, month after month."""
    months = [f"2026-{m:02d}" for m in range(1, 12)] + list(more_months)
    snap = ProjectSnapshot.model_validate({
        "project_id": PROJECT, "project_code": f"2603-{COUNTY}-04-01-000902", "name": "年度计划项目", "stage": "started",
        "leader": "陈立新", "lead_department": "区发改局", "responsible_unit": "某建设公司", "annual_plan_fen": 1_200_000_000,
        "milestones": [{"name": "开工", "planned": "2026-03-01", "actual": "2026-03-10"}],
        "ledger": [{"month": month, "investment_fen": 10_000_000} for month in months],
        "last_source_record_time": "2026-12-03T01:00:00Z",
    })
    return ProjectStateChanged(event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"year-end-state|{version}"), occurred_at=datetime(2026, 12, 3, tzinfo=UTC),
                               county_code=COUNTY, correlation_id=str(PROJECT), project_id=PROJECT, version=version,
                               changed_fields=("ledger", "annual_plan_fen"), snapshot=snap,
                               caused_by=uuid.uuid5(uuid.NAMESPACE_URL, f"year-end-update|{version}"), source_system="发改局重点项目台账")


async def progress_escalations(sessions: Any) -> list[tuple[str, str, str]]:
    async with sessions() as session:
        rows = await session.execute(select(escalations.c.subject, escalations.c.occurrence, escalations.c.status)
                                     .where(escalations.c.rule_id == PROGRESS))
        return sorted((subject, occurrence, status) for subject, occurrence, status in rows)


async def resolved_events(sessions: Any) -> list[dict[str, Any]]:
    async with sessions() as session:
        payloads = (await session.execute(select(outbox.c.payload))).scalars()
        events = [json.loads(bytes(payload)) for payload in payloads]
        return [event for event in events if event.get("kind") == "resolved" and event.get("rule_id") == PROGRESS]


async def test_the_years_grade_closes_with_the_year_and_says_it_was_not_cleared(database: tuple[str, str | None]) -> None:
    engine, sessions = await open_store(*database)
    try:
        await apply_changes(sessions, [behind_all_year()], POLICY_FOR, date(2026, 12, 3), at(date(2026, 12, 3)))
        await sweep(sessions, POLICY_FOR, date(2026, 12, 31), at(date(2026, 12, 31)))
        assert await progress_escalations(sessions) == [("investment:quarter", "window", "open"), ("investment:ytd", "2026", "open")]

        await sweep(sessions, POLICY_FOR, date(2027, 1, 1), at(date(2027, 1, 1)))
        # The recent months' grade runs on across the year; the year's grade ends with it.
        assert await progress_escalations(sessions) == [("investment:quarter", "window", "open"), ("investment:ytd", "2026", "cleared")]
        [event] = await resolved_events(sessions)
        assert event["subject"] == "investment:ytd" and event["resolution"] == "period_ended"
        assert event["summary"].startswith("考核期已结束（未消除）") and "已消除：" not in event["summary"]

        [case] = [row for row in await case_rows(sessions) if row["escalation_id"] == event["escalation_id"]]
        assert case["state"] == "replied"  # for the office to review, as a cleared condition is, but not called cleared
        notes = [a["note"] for a in await actions_of(sessions, case["case_id"]) if a["action"] == "replied"]
        assert notes == [PERIOD_ENDED_NOTE] and CLEARED_NOTE not in notes
        # The office is told why, not that someone sent an explanation and a plan: nobody did.
        [told] = [e for e in await case_events(sessions, case["case_id"]) if e["action"] == "replied"]
        assert told["summary"].endswith(PERIOD_ENDED_NOTE) and "整改方案" not in told["summary"]

        # December's ledger comes in: December's bulletin, written in January, lists the project once, behind for the year,
        # with its figures (it listed the open escalations: none of the year's by then, and the recent months' twice over).
        await apply_changes(sessions, [behind_all_year(2, "2026-12")], POLICY_FOR, date(2027, 1, 3), at(date(2027, 1, 3)))
        bulletin = await generate_bulletin(sessions, COUNTY, "2026-12", date(2027, 1, 6), at(date(2027, 1, 6)), POLICY_FOR(COUNTY))
        assert bulletin is not None
        assert [(b["project_id"], b["colour"], b["completion_percent"], b["schedule_percent"], b["source"])
                for b in bulletin["figures"]["behind"]] == [(str(PROJECT), "red", "10.0", "100.0", "R5")]  # 120万 of 1,200万 by December

        # January's ledger comes in, still far behind over the last three months (January alone, 7.5 points behind the new
        # year's plan, is not yet a grade): the window's case stands, neither cleared nor opened anew.
        await apply_changes(sessions, [behind_all_year(3, "2026-12", "2027-01")], POLICY_FOR, date(2027, 2, 10), at(date(2027, 2, 10)))
        assert await progress_escalations(sessions) == [("investment:quarter", "window", "open"), ("investment:ytd", "2026", "cleared")]
        assert [event["subject"] for event in await resolved_events(sessions)] == ["investment:ytd"]
    finally:
        await engine.dispose()
