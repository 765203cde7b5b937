"""escalation's use-cases against a real database: projection, ladder records, outbox, sweep and the what-if CLI.

No NATS: `apply_changes` and `sweep` only write escalation's own tables, the outbox included.
Dates follow DOMAIN.md's example: land agreed to start 2025-03-01 and not started is warned on
2025-12-02 (9 months), 2026-02-02 (11 months), idle from 2026-03-02 and reclaimable from 2027-03-02.
"""
from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker
from typer.testing import CliRunner

from services.escalation.domain.ladder import Escalate, Raise
from services.escalation.policy_file import policies
from services.escalation.service import apply_changes, sweep
from services.escalation.tables import escalation_history, escalations, outbox, processed_events, project_facts
from shared.contracts import ProjectSnapshot, ProjectStateChanged
from shared.db import make_engine, migrate, session_factory
from tests.support.visible import raw_identifiers

ROOT = Path(__file__).resolve().parents[3]
MIGRATIONS = ROOT / "services" / "escalation" / "migrations"
POLICY_FOR = policies(ROOT / "config" / "policies")
COUNTY = "330106"
CODE = "2403-330106-04-01-123456"
NAME = "城西智能制造产业园"
PROJECT = uuid.UUID("5b0c7f4e-2a1d-4c3b-9e8f-0a1b2c3d4e5f")
BEIJING = timezone(timedelta(hours=8))
BUDGET = 100_000_000_00  # 1亿元 in fen
IDLE = "R1.idle_land"
OVERRUN = "R2.budget_overrun"


def at(day: date) -> datetime:
    """Business time of a run 'as of' a Beijing day: 09:00 that day, in UTC like the service's clock."""
    return datetime.combine(day, time(9, 0), BEIJING).astimezone(UTC)


def snapshot(project_id: uuid.UUID = PROJECT, parcel: dict[str, Any] | None = None, **changes: Any) -> ProjectSnapshot:
    """A signed project with idle-prone land and a government budget that is, by default, respected."""
    land = {"parcel_id": "XH2025-017", "agreed_start_date": "2025-03-01", "land_price_fen": 86_000_000_00, **(parcel or {})}
    fields: dict[str, Any] = {
        "project_id": project_id, "project_code": CODE, "name": NAME, "stage": "signed",
        "leader": "陈立新", "lead_department": "发改局", "responsible_unit": "住建局",
        "government_funded": True, "budget_fen": BUDGET, "committed_cost_fen": 80_000_000_00, "spent_cost_fen": 60_000_000_00,
        "land_parcels": [land],
        **changes,
    }
    return ProjectSnapshot.model_validate(fields)


def changed(version: int, snap: ProjectSnapshot, fields: Sequence[str] = ("land_parcels",)) -> ProjectStateChanged:
    """tracker's event for one version of a project; the ids are stable like tracker's own."""
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"state|{snap.project_id}|{version}")
    return ProjectStateChanged(
        event_id=event_id, occurred_at=datetime(2025, 6, 1, tzinfo=UTC), county_code=COUNTY,
        correlation_id=f"{COUNTY}:{snap.project_id}", project_id=snap.project_id, version=version,
        changed_fields=tuple(fields), snapshot=snap, caused_by=uuid.uuid5(uuid.NAMESPACE_URL, f"update|{event_id}"),
        source_system="发改局项目库",
    )


async def open_store(url: str, schema: str | None) -> tuple[Any, async_sessionmaker]:
    await migrate(MIGRATIONS, url, schema)
    engine = make_engine(url, schema)
    return engine, session_factory(engine)


@pytest.fixture
async def sessions(database: tuple[str, str | None]) -> AsyncIterator[async_sessionmaker]:
    engine, factory = await open_store(*database)
    yield factory
    await engine.dispose()


async def apply(sessions: async_sessionmaker, events: Sequence[ProjectStateChanged], day: date) -> list[bool]:
    return await apply_changes(sessions, events, POLICY_FOR, day, at(day))


async def run_sweep(sessions: async_sessionmaker, day: date, dry_run: bool = False):  # noqa: ANN201
    return await sweep(sessions, POLICY_FOR, day, at(day), dry_run=dry_run)


async def outbox_events(sessions: async_sessionmaker) -> list[dict[str, Any]]:
    """Every escalation event waiting for the relay, oldest first, with its NATS subject as `nats_subject`.

    The case each escalation opens has its own events (county.<c>.case.*); tests/service/cases checks those."""
    async with sessions() as session:
        rows = (await session.execute(
            select(outbox.c.subject, outbox.c.event_id, outbox.c.payload).where(outbox.c.subject.like("%.escalation.%")).order_by(outbox.c.seq)
        )).all()
    events = []
    for subject, event_id, payload in rows:
        body = json.loads(bytes(payload))
        assert body["event_id"] == event_id
        events.append({**body, "nats_subject": subject})
    return events


async def escalation_rows(sessions: async_sessionmaker) -> list[dict[str, Any]]:
    async with sessions() as session:
        return [dict(r) for r in (await session.execute(select(escalations).order_by(escalations.c.opened_at, escalations.c.rule_id))).mappings()]


async def history(sessions: async_sessionmaker) -> list[tuple[str, int, date]]:
    async with sessions() as session:
        rows = (await session.execute(
            select(escalation_history.c.kind, escalation_history.c.level, escalation_history.c.as_of).order_by(escalation_history.c.id)
        )).all()
    return [tuple(r) for r in rows]


async def count(sessions: async_sessionmaker, table: Any) -> int:
    async with sessions() as session:
        return (await session.scalar(select(func.count()).select_from(table))) or 0


def kinds(events: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(e["kind"], e["level"]) for e in events]


# ---------------------------------------------------------------- R1 idle land, day by day


async def test_idle_land_climbs_the_ladder_one_level_and_one_event_at_a_time(sessions: async_sessionmaker) -> None:
    # The last day of the 9-month period is not yet past it: no warning.
    assert await apply(sessions, [changed(1, snapshot())], date(2025, 12, 1)) == [True]
    assert await escalation_rows(sessions) == []
    assert await outbox_events(sessions) == []

    # The day after: level 1, to the responsible unit and lead department.
    await run_sweep(sessions, date(2025, 12, 2))
    [row] = await escalation_rows(sessions)
    assert (row["rule_id"], row["level"], row["status"], row["subject"]) == (IDLE, 1, "open", "parcel:XH2025-017")
    assert row["as_of"] == date(2025, 12, 2)
    assert await history(sessions) == [("raised", 1, date(2025, 12, 2))]
    [raised] = await outbox_events(sessions)
    assert raised["nats_subject"] == f"county.{COUNTY}.escalation.raised"
    assert (raised["kind"], raised["level"], raised["escalation_id"]) == ("raised", 1, row["escalation_id"])
    assert raised["project_name"] == NAME and raised["project_code"] == CODE
    assert {(r["kind"], r["name"]) for r in raised["recipients"] if r["role"] == "action"} == {("department", "住建局"), ("department", "发改局")}

    # Nothing new between the steps: a sweep on a quiet day publishes nothing.
    await run_sweep(sessions, date(2026, 1, 15))
    assert len(await outbox_events(sessions)) == 1

    await run_sweep(sessions, date(2026, 2, 1))  # last day of the 11-month period
    assert len(await outbox_events(sessions)) == 1
    await run_sweep(sessions, date(2026, 2, 2))
    events = await outbox_events(sessions)
    assert kinds(events) == [("raised", 1), ("escalated", 2)]
    assert events[1]["nats_subject"] == f"county.{COUNTY}.escalation.escalated"
    assert events[1]["previous_level"] == 1 and events[1]["escalation_id"] == row["escalation_id"]

    await run_sweep(sessions, date(2026, 3, 1))  # last day of the year: not idle yet
    assert len(await outbox_events(sessions)) == 2
    await run_sweep(sessions, date(2026, 3, 2))
    events = await outbox_events(sessions)
    assert kinds(events) == [("raised", 1), ("escalated", 2), ("escalated", 3)]
    idle = events[-1]
    assert idle["evidence"]["idle_since"] == "2026-03-02"
    assert idle["evidence"]["idle_fee_fen"] == str(86_000_000_00 // 5)  # 20% of the land price
    assert [r["name"] for r in idle["recipients"] if r["role"] == "action"] == ["自然资源局"]
    [row] = await escalation_rows(sessions)
    assert (row["level"], row["evidence"]["idle_since"], row["as_of"]) == (3, "2026-03-02", date(2026, 3, 2))

    # The same day again (the sweeper runs every few minutes): nothing new anywhere.
    report = await run_sweep(sessions, date(2026, 3, 2))
    assert report.events == 0
    assert len(await outbox_events(sessions)) == 3
    assert len(await history(sessions)) == 3

    await run_sweep(sessions, date(2027, 3, 1))  # last day of the second year
    assert len(await outbox_events(sessions)) == 3
    await run_sweep(sessions, date(2027, 3, 2))
    events = await outbox_events(sessions)
    assert kinds(events) == [("raised", 1), ("escalated", 2), ("escalated", 3), ("escalated", 4)]
    assert len({e["event_id"] for e in events}) == 4
    assert {e["escalation_id"] for e in events} == {row["escalation_id"]}  # one case, four steps
    assert [h[:2] for h in await history(sessions)] == [("raised", 1), ("escalated", 2), ("escalated", 3), ("escalated", 4)]
    [row] = await escalation_rows(sessions)
    assert (row["level"], row["status"]) == (4, "open")


async def test_a_project_first_seen_two_years_idle_opens_at_level_4_without_replaying_the_warnings(sessions: async_sessionmaker) -> None:
    await apply(sessions, [changed(1, snapshot())], date(2027, 5, 10))
    events = await outbox_events(sessions)
    assert kinds(events) == [("raised", 4)]
    assert events[0]["evidence"]["idle_since"] == "2026-03-02"
    assert await history(sessions) == [("raised", 4, date(2027, 5, 10))]
    [row] = await escalation_rows(sessions)
    assert row["level"] == 4


async def test_a_recorded_start_resolves_and_an_older_snapshot_arriving_late_changes_nothing(sessions: async_sessionmaker) -> None:
    await apply(sessions, [changed(1, snapshot())], date(2026, 3, 2))
    [row] = await escalation_rows(sessions)
    assert row["level"] == 3

    started = snapshot(parcel={"actual_start_date": "2026-03-20"})
    await apply(sessions, [changed(2, started)], date(2026, 3, 25))
    events = await outbox_events(sessions)
    assert kinds(events) == [("raised", 3), ("resolved", 3)]
    assert events[1]["nats_subject"] == f"county.{COUNTY}.escalation.resolved"
    assert events[1]["escalation_id"] == row["escalation_id"]
    [row] = await escalation_rows(sessions)
    assert row["status"] == "cleared" and row["cleared_at"] is not None

    # Version 1 arriving late under an event id not seen yet, so that only the projection's version
    # guard (not processed_events) can stop it: the projection keeps version 2 and nothing reopens.
    stale = changed(1, snapshot())
    stale = stale.model_copy(update={"event_id": uuid.uuid5(uuid.NAMESPACE_URL, "late copy of v1")})
    await apply(sessions, [stale], date(2026, 3, 26))
    assert len(await outbox_events(sessions)) == 2
    [row] = await escalation_rows(sessions)
    assert row["status"] == "cleared"
    async with sessions() as session:
        version, snap = (await session.execute(select(project_facts.c.version, project_facts.c.snapshot))).one()
    assert version == 2 and snap["land_parcels"][0]["actual_start_date"] == "2026-03-20"
    # And the sweep, which reads the projection, agrees.
    await run_sweep(sessions, date(2026, 4, 1))
    assert len(await outbox_events(sessions)) == 2


async def test_the_same_event_applied_twice_is_processed_once(sessions: async_sessionmaker) -> None:
    event = changed(1, snapshot())
    assert await apply(sessions, [event], date(2025, 12, 2)) == [True]
    before = (await escalation_rows(sessions), await outbox_events(sessions), await history(sessions))
    # Redelivered later, even on a day that would escalate: the event itself is not taken twice.
    assert await apply(sessions, [event], date(2026, 3, 2)) == [False]
    assert (await escalation_rows(sessions), await outbox_events(sessions), await history(sessions)) == before
    assert await count(sessions, processed_events) == 1


# ---------------------------------------------------------------- R2 budget overrun


OVERRUNS = [
    pytest.param(BUDGET + BUDGET * 1999 // 10_000, 1, "19.99", id="19.99%"),
    pytest.param(BUDGET + BUDGET * 20 // 100, 1, "20.00", id="20%"),
    pytest.param(BUDGET + BUDGET * 2001 // 10_000, 2, "20.01", id="20.01%"),
]


@pytest.mark.parametrize(("committed_fen", "level", "percent"), OVERRUNS)
async def test_an_unapproved_overrun_goes_to_discipline_only_strictly_over_20_percent_and_approval_resolves_it(
    sessions: async_sessionmaker, committed_fen: int, level: int, percent: str,
) -> None:
    day = date(2025, 6, 1)  # well before any land warning
    await apply(sessions, [changed(1, snapshot(committed_cost_fen=committed_fen), ("committed_cost_fen",))], day)
    [raised] = await outbox_events(sessions)
    assert (raised["rule_id"], raised["kind"], raised["level"]) == (OVERRUN, "raised", level)
    assert raised["evidence"]["overrun_percent"] == percent
    action = {r["name"] for r in raised["recipients"] if r["role"] == "action"}
    if level == 2:
        assert action == {"区纪委监委", "审计局"}  # 西湖区 names its commission 区纪委监委
        assert "财政局" in {r["name"] for r in raised["recipients"]}
    else:
        assert action == {"发改局", "陈立新"}
    [row] = await escalation_rows(sessions)
    assert (row["rule_id"], row["level"], row["status"]) == (OVERRUN, level, "open")

    approved = snapshot(committed_cost_fen=committed_fen, overrun_approval={"approved": True, "approved_on": "2025-06-10"})
    await apply(sessions, [changed(2, approved, ("overrun_approval",))], date(2025, 6, 11))
    events = await outbox_events(sessions)
    assert kinds(events) == [("raised", level), ("resolved", level)]
    assert events[1]["escalation_id"] == raised["escalation_id"]
    [row] = await escalation_rows(sessions)
    assert row["status"] == "cleared" and row["cleared_at"] is not None


# ---------------------------------------------------------------- dry run and the CLI


async def test_a_dry_run_reports_the_plan_and_writes_nothing(sessions: async_sessionmaker) -> None:
    await apply(sessions, [changed(1, snapshot())], date(2025, 6, 1))
    report = await run_sweep(sessions, date(2026, 3, 2), dry_run=True)
    assert report.projects == 1 and report.events == 0
    [(project, decision)] = report.planned
    assert isinstance(decision, Raise) and decision.finding.level == 3 and decision.finding.rule_id == IDLE
    assert project["name"] == NAME
    assert await count(sessions, escalations) == 0
    assert await count(sessions, escalation_history) == 0
    assert len(await outbox_events(sessions)) == 0

    # The real sweep does what the dry run said.
    report = await run_sweep(sessions, date(2026, 3, 2))
    assert report.events == 1
    assert kinds(await outbox_events(sessions)) == [("raised", 3)]

    # And a dry run over an open case plans the escalation without taking it.
    report = await run_sweep(sessions, date(2027, 3, 2), dry_run=True)
    [(_, decision)] = report.planned
    assert isinstance(decision, Escalate) and (decision.previous_level, decision.finding.level) == (3, 4)
    [row] = await escalation_rows(sessions)
    assert row["level"] == 3
    assert len(await outbox_events(sessions)) == 1


async def test_the_what_if_cli_prints_the_raise_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'escalation.db'}"
    engine, factory = await open_store(url, None)
    try:
        await apply(factory, [changed(1, snapshot())], date(2025, 6, 1))
    finally:
        await engine.dispose()
    monkeypatch.setenv("ESCALATION_DATABASE_URL", url)
    monkeypatch.delenv("ESCALATION_DATABASE_SCHEMA", raising=False)
    from services.cli import app as tuijin

    # The CLI runs its own event loop, so it gets a thread of its own.
    result = await asyncio.to_thread(CliRunner().invoke, tuijin, ["escalation", "sweep", "--as-of", "2026-03-02"])
    assert result.exit_code == 0, result.output
    raise_lines = [line for line in result.output.splitlines() if "新预警" in line]
    assert len(raise_lines) == 1, result.output
    assert f"[{COUNTY}]" in raise_lines[0] and "第3级" in raise_lines[0] and "闲置土地" in raise_lines[0] and NAME in raise_lines[0]
    assert "评估1个项目，将有1项变化" in result.output
    # What the office reads names rules, subjects and states in words: no rule id, no snake_case, no English verbs.
    assert not raw_identifiers(result.output), result.output
    assert not any(word in result.output for word in ("RAISE", "ESCALATE", "RESOLVE", "projects evaluated")), result.output

    engine, factory = await open_store(url, None)
    try:
        assert await count(factory, escalations) == 0
        assert await count(factory, escalation_history) == 0
        assert await count(factory, outbox) == 0
        await run_sweep(factory, date(2026, 3, 2))  # now raised for real
    finally:
        await engine.dispose()

    # A dry run a year on plans the climb, in the same words, and changes nothing.
    result = await asyncio.to_thread(CliRunner().invoke, tuijin, ["escalation", "sweep", "--as-of", "2027-03-02"])
    assert result.exit_code == 0, result.output
    [climb] = [line for line in result.output.splitlines() if "预警升级" in line]
    assert "第3级→第4级" in climb and "闲置土地" in climb and NAME in climb and not raw_identifiers(result.output), result.output
    engine, factory = await open_store(url, None)
    try:
        assert [row["level"] for row in await escalation_rows(factory)] == [3]
    finally:
        await engine.dispose()


# ---------------------------------------------------------------- stable identities


async def _replay(sessions: async_sessionmaker) -> tuple[list[str], list[tuple[str, str, str]]]:
    await apply(sessions, [changed(1, snapshot(committed_cost_fen=BUDGET * 5 // 4))], date(2025, 12, 2))
    await run_sweep(sessions, date(2026, 3, 2))
    await apply(sessions, [changed(2, snapshot(committed_cost_fen=BUDGET * 5 // 4, parcel={"actual_start_date": "2026-03-20"}))],
                date(2026, 3, 25))
    ids = sorted(r["escalation_id"] for r in await escalation_rows(sessions))
    return ids, [(e["nats_subject"], e["event_id"], e["escalation_id"]) for e in await outbox_events(sessions)]


async def test_the_same_history_gives_the_same_escalation_and_event_ids_in_any_fresh_database(
    sessions: async_sessionmaker, tmp_path: Path,
) -> None:
    first = await _replay(sessions)
    engine, other = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'second.db'}", None)
    try:
        second = await _replay(other)
    finally:
        await engine.dispose()
    assert first == second
    ids, events = first
    assert len(ids) == 2  # idle land and the overrun
    assert [s.rsplit(".", 1)[1] for s, _, _ in events] == ["raised", "raised", "escalated", "resolved"]
    assert len({e for _, e, _ in events}) == 4
