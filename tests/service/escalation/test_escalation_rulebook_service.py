"""The rulebook R3-R7 through escalation's use-cases on a real database (SQLite and PostgreSQL): raised, escalated, resolved."""
from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation.domain.catalog import SPECS
from services.escalation.policy_file import policies
from services.escalation.service import apply_changes, sweep
from services.escalation.tables import escalations, outbox
from shared.contracts import ProjectSnapshot, ProjectStateChanged
from tests.support.databases import migrated

ROOT = Path(__file__).resolve().parents[3]
POLICY_FOR = policies(ROOT / "config" / "policies")
COUNTY = "330106"
PROJECT = uuid.UUID("0c6d1f1e-7a43-4e0b-9c55-3d2f8a7b6e10")
BEIJING = timezone(timedelta(hours=8))


def at(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), BEIJING).astimezone(UTC)


def snapshot(**changes: Any) -> ProjectSnapshot:
    """A project under construction since 2026-03-31 with trouble on R3, R4, R5 and R7 as of 2026-10-09."""
    fields: dict[str, Any] = {
        "project_id": PROJECT, "project_code": "2603-330106-04-01-000777", "name": "西湖数字装备基地", "stage": "started",
        "leader": "陈立新", "lead_department": "区经信局", "responsible_unit": "数字装备公司", "total_investment_fen": 80_000_000_00,
        "annual_plan_fen": 1_200_000_00, "ledger": [{"month": "2026-07", "investment_fen": 0}, {"month": "2026-08", "investment_fen": 0},
                   {"month": "2026-09", "investment_fen": 0, "ytd_fen": 100_000_00}],
        "milestones": [{"name": "开工", "planned": "2026-03-01", "actual": "2026-03-31"},
                       {"name": "施工许可", "planned": "2026-09-30", "blocking_department": "区住建局"}],
        "central_funds": [{"batch_id": "2026-中央-01", "issued_on": "2026-05-20", "amount_fen": 3_000_000_00, "paid_fen": 0}],
        "sme_payments": [{"payment_id": "F-17", "supplier": "小微机电", "accepted_on": "2026-09-01", "amount_fen": 88_000_00}],
        "last_source_record_time": "2026-10-09T01:00:00Z",
        **changes,
    }
    return ProjectSnapshot.model_validate(fields)


def changed(version: int, snap: ProjectSnapshot, fields: Sequence[str]) -> ProjectStateChanged:
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"rulebook|{snap.project_id}|{version}")
    return ProjectStateChanged(
        event_id=event_id, occurred_at=datetime(2026, 10, 9, tzinfo=UTC), county_code=COUNTY, correlation_id=f"{COUNTY}:{PROJECT}",
        project_id=snap.project_id, version=version, changed_fields=tuple(fields), snapshot=snap,
        caused_by=uuid.uuid5(uuid.NAMESPACE_URL, f"update|{event_id}"), source_system="发改局重点项目台账",
    )


@pytest.fixture
async def sessions(database: tuple[str, str | None]) -> AsyncIterator[async_sessionmaker]:
    async with migrated("escalation", database) as sessions:
        yield sessions


async def open_by_subject(sessions: async_sessionmaker) -> dict[str, dict[str, Any]]:
    async with sessions() as session:
        rows = (await session.execute(select(escalations).where(escalations.c.status == "open"))).mappings()
        return {f"{r['rule_id']}|{r['subject']}": dict(r) for r in rows}


async def outbox_kinds(sessions: async_sessionmaker) -> list[tuple[str, str, str, int]]:
    async with sessions() as session:
        # Only escalation events: the case ladder may add events of its own to the same outbox.
        rows = (await session.execute(select(outbox.c.payload).where(outbox.c.subject.like(f"county.{COUNTY}.escalation.%"))
                                      .order_by(outbox.c.seq))).scalars()
        bodies = [json.loads(bytes(p)) for p in rows]
    return [(b["kind"], b["rule_id"], b["subject"], b["level"]) for b in bodies]


async def test_new_rules_raise_escalate_and_resolve_through_the_use_cases(sessions: async_sessionmaker) -> None:
    day = date(2026, 10, 9)  # the National Day holiday just ended
    await apply_changes(sessions, [changed(1, snapshot(), ["ledger", "milestones", "central_funds", "sme_payments"])], POLICY_FOR, day, at(day))
    found = await open_by_subject(sessions)
    expected = {
        "R3.central_funds|central_fund_payment:2026-中央-01": (1, "red"),  # nothing paid, 38.9% of the window gone
        "R4.milestone|milestone:施工许可": (2, "yellow"),
        "R5.investment_progress|investment:ytd": (2, "red"),  # 10% of the plan done by September, 序时 75%
        "R5.investment_progress|investment:quarter": (2, "red"),
        "R7.sme_payment|sme_payment:F-17": (1, "yellow"),  # due 10-01, a holiday: rolled to 10-08, overdue from 10-09
        "R7.stats_enrolment|stats_enrolment": (2, "red"),
    }
    assert {k: (v["level"], v["evidence"]["colour"]) for k, v in found.items()} == expected
    milestone = found["R4.milestone|milestone:施工许可"]
    assert milestone["evidence"]["explanation_due"] == "2026-10-13"  # 5 working days past National Day and the adjusted Saturday
    assert [r["name"] for r in milestone["recipients"] if r["role"] == "action"] == ["区住建局"]
    assert found["R7.sme_payment|sme_payment:F-17"]["evidence"]["due"] == "2026-10-08"
    assert all(v["rule_version"] == SPECS[v["rule_id"]].version and v["evidence"]["rule_source"] for v in found.values())
    assert sorted(await outbox_kinds(sessions)) == sorted(("raised", *k.split("|"), lvl) for k, (lvl, _) in expected.items())

    # The clock alone (a sweep): the data went stale, the SME payment turned red, no ledger came after September's.
    new_year = date(2027, 1, 6)
    await sweep(sessions, POLICY_FOR, new_year, at(new_year))
    found = await open_by_subject(sessions)
    assert (found["R6.data_freshness|data"]["level"], found["R6.data_freshness|data"]["evidence"]["colour"]) == (1, "grey")
    assert found["R7.sme_payment|sme_payment:F-17"]["level"] == 2
    assert found["R4.ledger_missing|ledger"]["occurrence"] == "2026-10"  # one finding for October's ledger and every one since
    assert "R5.investment_progress|investment:ytd" not in found  # a new year: last year's plan is not graded against this one

    # Statistics enrolment, the payment and the permit arrive: those cases resolve at once, on the change itself.
    fixed = snapshot(stats_enrolled_on="2026-12-20", last_source_record_time="2027-01-06T01:00:00Z",
                     sme_payments=[{"payment_id": "F-17", "accepted_on": "2026-09-01", "amount_fen": 88_000_00, "paid_on": "2027-01-05"}],
                     milestones=[{"name": "开工", "planned": "2026-03-01", "actual": "2026-03-31"},
                                 {"name": "施工许可", "planned": "2026-09-30", "actual": "2026-12-01"}])
    await apply_changes(sessions, [changed(2, fixed, ["stats_enrolled_on", "sme_payments", "milestones"])], POLICY_FOR, new_year, at(new_year))
    found = await open_by_subject(sessions)
    assert not {"R7.stats_enrolment|stats_enrolment", "R7.sme_payment|sme_payment:F-17", "R4.milestone|milestone:施工许可",
                "R6.data_freshness|data"} & set(found)
    resolved = {(rule, subject) for kind, rule, subject, _ in await outbox_kinds(sessions) if kind == "resolved"}
    assert {("R7.stats_enrolment", "stats_enrolment"), ("R7.sme_payment", "sme_payment:F-17"), ("R4.milestone", "milestone:施工许可"),
            ("R6.data_freshness", "data")} <= resolved


async def test_a_missed_next_month_plan_is_raised_yellow_climbs_red_and_clears_when_kept(sessions: async_sessionmaker) -> None:
    wan = 1_000_000  # 1万元 in fen

    def month(name: str, done: int, plan: int | None = None) -> dict[str, Any]:
        return {"month": name, "investment_fen": done * wan, **({"next_month_plan_fen": plan * wan, "next_month_plan": "主体结构封顶"}
                                                                  if plan is not None else {})}

    async def plan_case() -> dict[str, Any] | None:
        return next((v for k, v in (await open_by_subject(sessions)).items() if k.startswith("R5.plan_missed|")), None)

    # May's ledger arrives in June: April promised 300万元 for May, May did 200万元.
    spring = [month("2026-04", 250, 300), month("2026-05", 200, 300)]
    day = date(2026, 6, 8)
    await apply_changes(sessions, [changed(11, snapshot(ledger=spring), ["ledger"])], POLICY_FOR, day, at(day))
    case = await plan_case()
    assert case is not None and (case["subject"], case["occurrence"], case["level"], case["evidence"]["colour"]) == (
        "monthly_plan", "2026-05", 1, "yellow")
    assert (case["evidence"]["plan_fen"], case["evidence"]["done_fen"]) == (str(300 * wan), str(200 * wan))
    assert [r["name"] for r in case["recipients"] if r["role"] == "action"] == ["数字装备公司"]
    assert case["policy_version"] == 2

    # June's ledger is sent on 28 June, before June is over: not judged yet. The sweep judges it on 1 July.
    june = [*spring, month("2026-06", 100, 200)]
    day = date(2026, 6, 28)
    await apply_changes(sessions, [changed(12, snapshot(ledger=june), ["ledger.2026-06.investment_fen"])], POLICY_FOR, day, at(day))
    assert ((await plan_case()) or {}).get("level") == 1
    day = date(2026, 7, 1)
    await sweep(sessions, POLICY_FOR, day, at(day))
    case = await plan_case()
    assert case is not None and (case["occurrence"], case["level"], case["evidence"]["colour"]) == ("2026-05", 2, "red")
    assert (case["evidence"]["previous_plan_fen"], case["evidence"]["previous_done_fen"]) == (str(300 * wan), str(200 * wan))
    assert [r["name"] for r in case["recipients"] if r["role"] == "action"] == ["数字装备公司", "区经信局"]

    # July keeps June's promise (200万元): the escalation resolves once July is over and its ledger is in.
    day = date(2026, 8, 6)
    await apply_changes(sessions, [changed(13, snapshot(ledger=[*june, month("2026-07", 260)]), ["ledger"])], POLICY_FOR, day, at(day))
    assert await plan_case() is None
    plan_events = [(kind, level) for kind, rule, _, level in await outbox_kinds(sessions) if rule == "R5.plan_missed"]
    assert plan_events == [("raised", 1), ("escalated", 2), ("resolved", 2)]
