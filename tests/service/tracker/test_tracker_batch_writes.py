"""Tracker's batch writes on both databases: everything a batch changes lands, and a redelivered batch writes nothing.

On PostgreSQL a batch is one statement of arrays (services/tracker/writes.py); a column that lost its rows there (a JSON
list read as a second array dimension pads the others with NULLs) would show here, not in a count of events.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.tracker.service import Outcome, apply_updates
from services.tracker.tables import change_log, outbox, projects, stage_history
from shared.contracts import ProjectStateChanged
from tests.support.databases import migrated
from tests.support.factories import update, updated

NOW = datetime(2026, 3, 2, 1, tzinfo=UTC)
FIRST = datetime(2026, 2, 20, tzinfo=UTC)
KNOWN, NEW = "2403-330106-04-01-000001", "2403-330106-04-01-000002"


@pytest.fixture
async def sessions(database: tuple[str, str | None]) -> AsyncIterator[async_sessionmaker]:
    async with migrated("tracker", database) as sessions:
        yield sessions


async def rows(sessions: async_sessionmaker, table) -> list[dict]:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return [dict(row) for row in (await session.execute(select(table))).mappings()]


async def test_a_batch_lands_whole_and_a_redelivered_one_writes_only_its_marker(sessions) -> None:  # type: ignore[no-untyped-def]
    await apply_updates(sessions, [updated(update(FIRST, "k-1", project_code=KNOWN, name="老项目", stage="signed"))], NOW)
    batch = [
        updated(update(FIRST + timedelta(days=1), "k-2", project_code=KNOWN, stage="started", investment_ytd_fen=5_000)),
        updated(update(FIRST, "n-1", project_code=NEW, name="新项目", stage="reserve")),
        updated(update(FIRST + timedelta(days=2), "n-2", project_code=NEW, stage="negotiating")),  # new in this batch, then moved
    ]
    assert await apply_updates(sessions, batch, NOW) == [Outcome.changed] * 3

    by_code = {row["project_code"]: row for row in await rows(sessions, projects)}
    assert (by_code[KNOWN]["stage"], by_code[KNOWN]["version"]) == ("started", 2)
    assert (by_code[NEW]["name"], by_code[NEW]["stage"], by_code[NEW]["version"]) == ("新项目", "negotiating", 2)
    logs = sorted(await rows(sessions, change_log), key=lambda row: (row["project_id"] == by_code[NEW]["project_id"], row["version"]))
    assert [(row["version"], sorted(change["path"] for change in row["changes"])) for row in logs[1:]] == [
        (2, ["investment_ytd_fen", "stage"]), (1, ["name", "stage"]), (2, ["stage"])]
    assert all(row["source_system"] and row["event_id"] and row["recorded_at"] for row in logs)
    moves = {(row["from_stage"], row["to_stage"]) for row in await rows(sessions, stage_history)}
    assert {("signed", "started"), (None, "reserve"), ("reserve", "negotiating")} <= moves
    published = [ProjectStateChanged.model_validate_json(row["payload"]) for row in await rows(sessions, outbox)]
    assert sorted((e.snapshot.project_code, e.version) for e in published) == [(KNOWN, 1), (KNOWN, 2), (NEW, 1), (NEW, 2)]

    engine = sessions.kw["bind"].sync_engine
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    assert await apply_updates(sessions, batch, NOW) == [Outcome.duplicate] * 3
    assert len(statements) == 1 and "processed_events" in statements[0], statements
