"""A missing monthly ledger's case stands and climbs until the ledgers come in: the 1st of a month does not clear it, and
the next month's due day does not open a second one (it used to do both, every month, with the ledger still missing)."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from cases_support import POLICY_FOR, actions_of, apply_changes, at, case_events, case_rows, open_store
from sqlalchemy import select

from services.escalation.service import sweep
from services.escalation.tables import escalations
from shared.contracts import ProjectSnapshot, ProjectStateChanged

COUNTY = "330106"
LEDGER = "R4.ledger_missing"
PROJECT = uuid.uuid5(uuid.NAMESPACE_URL, "ledger-missing|1")


def reported(version: int, *months: str, start: str | None = "2026-03-10") -> ProjectStateChanged:
    """A project under construction (since `start`, when known) that has sent its ledger for `months`."""
    snap = ProjectSnapshot.model_validate({
        "project_id": PROJECT, "project_code": f"2603-{COUNTY}-04-01-000901", "name": "台账项目", "stage": "started",
        "leader": "陈立新", "lead_department": "区发改局", "responsible_unit": "某建设公司",
        "milestones": [{"name": "开工", "planned": "2026-03-01", **({"actual": start} if start else {})}],
        "ledger": [{"month": m, "investment_fen": 100_00} for m in months], "last_source_record_time": "2026-11-20T01:00:00Z",
    })
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"ledger-missing-state|{version}")
    return ProjectStateChanged(event_id=event_id, occurred_at=datetime(2026, 11, 20, tzinfo=UTC), county_code=COUNTY,
                               correlation_id=str(PROJECT), project_id=PROJECT, version=version, changed_fields=("ledger",),
                               snapshot=snap, caused_by=uuid.uuid5(uuid.NAMESPACE_URL, f"ledger-missing-update|{version}"),
                               source_system="发改局重点项目台账")


async def ledger_escalations(sessions: Any) -> list[tuple[str, str]]:
    async with sessions() as session:
        rows = await session.execute(select(escalations.c.occurrence, escalations.c.status).where(escalations.c.rule_id == LEDGER))
        return sorted((occurrence, status) for occurrence, status in rows)


async def test_a_missing_ledger_case_stands_across_months_until_the_ledger_comes_in(database: tuple[str, str | None]) -> None:
    engine, sessions = await open_store(*database)
    try:
        months = [f"2026-{m:02d}" for m in range(3, 10)]
        await apply_changes(sessions, [reported(1, *months)], POLICY_FOR, date(2026, 11, 20), at(date(2026, 11, 20)))
        # October's ledger was due on 5 November: its case is open since the change.
        for day in (date(2026, 11, 21), date(2026, 12, 1), date(2026, 12, 7), date(2027, 1, 2), date(2027, 1, 6)):
            await sweep(sessions, POLICY_FOR, day, at(day))
        assert await ledger_escalations(sessions) == [("2026-10", "open")]
        [case] = [row for row in await case_rows(sessions) if row["rule_id"] == LEDGER]
        assert case["state"] not in ("replied", "withdrawn") and case["ladder_level"] >= 2  # it climbed; nothing called it cleared
        assert "replied" not in [a["action"] for a in await actions_of(sessions, case["case_id"])]

        # October's and November's ledgers come in; December's (due 5 January) is still missing: a new run, a new case.
        await apply_changes(sessions, [reported(2, *months, "2026-10", "2026-11")], POLICY_FOR, date(2027, 1, 7), at(date(2027, 1, 7)))
        assert await ledger_escalations(sessions) == [("2026-10", "cleared"), ("2026-12", "open")]
        replied = [a for a in await actions_of(sessions, case["case_id"]) if a["action"] == "replied"]
        assert [a["note"] for a in replied] == ["条件已消除"]  # now true: the office reviews and closes it
        [told] = [e for e in await case_events(sessions, case["case_id"]) if e["action"] == "replied"]
        assert told["summary"].endswith("条件已消除")  # what the office hears, not "已反馈情况说明及整改方案"
    finally:
        await engine.dispose()


async def test_with_no_start_date_and_no_ledger_one_case_stands_until_either_comes(database: tuple[str, str | None]) -> None:
    """Nothing says since when a ledger is owed: still one finding, month after month, not one cleared and one opened."""
    engine, sessions = await open_store(*database)
    try:
        await apply_changes(sessions, [reported(1, start=None)], POLICY_FOR, date(2026, 11, 20), at(date(2026, 11, 20)))
        for day in (date(2026, 12, 1), date(2026, 12, 5), date(2027, 1, 5), date(2027, 2, 5)):
            await sweep(sessions, POLICY_FOR, day, at(day))
        assert await ledger_escalations(sessions) == [("unanchored", "open")]
        [case] = [row for row in await case_rows(sessions) if row["rule_id"] == LEDGER]
        assert "replied" not in [a["action"] for a in await actions_of(sessions, case["case_id"])]

        # Its start date arrives: the run is known to begin in March 2026, a finding of its own.
        await apply_changes(sessions, [reported(2, start="2026-03-10")], POLICY_FOR, date(2027, 2, 6), at(date(2027, 2, 6)))
        assert await ledger_escalations(sessions) == [("2026-03", "open"), ("unanchored", "cleared")]
    finally:
        await engine.dispose()
