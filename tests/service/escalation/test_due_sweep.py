"""Sweeping only what is due, on SQLite and PostgreSQL: a project is not read before its day, the due-only sweeps
raise exactly what full sweeps raise, a new basis re-evaluates everything, and the due query uses its index."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation.domain.policy import Policy
from services.escalation.service import sweep
from services.escalation.tables import escalations, evaluation_basis, project_facts
from tests.service.escalation.test_escalation_service import apply, at, changed, open_store, run_sweep, sessions, snapshot

__all__ = ["sessions"]  # the fixture, shared with test_escalation_service
IDLE_FROM = date(2025, 12, 2)  # land agreed to start 2025-03-01: the 9-month warning


def other(n: int, **changes: Any):  # noqa: ANN201 - a ProjectSnapshot
    return snapshot(uuid.UUID(int=n), project_code=f"2403-330106-04-01-{n:06d}", **changes)


async def test_a_project_whose_day_has_not_come_is_not_read(sessions: async_sessionmaker) -> None:
    await apply(sessions, [changed(1, snapshot())], date(2025, 6, 1))
    await run_sweep(sessions, date(2025, 6, 1))  # records the basis: from now on only due projects are read
    async with sessions() as session:
        assert await session.scalar(select(project_facts.c.next_due)) == IDLE_FROM
    # Reading the row now would fail: its stored facts no longer validate.
    async with sessions() as session, session.begin():
        await session.execute(update(project_facts).values(snapshot={"not": "a snapshot"}))
    for day in (date(2025, 6, 2), date(2025, 9, 30), IDLE_FROM - timedelta(days=1)):
        report = await run_sweep(sessions, day)
        assert (report.projects, report.events) == (0, 0)
    try:
        await run_sweep(sessions, IDLE_FROM)
    except ValueError as error:  # pydantic's ValidationError: the row was read on its day
        assert "validation error" in str(error)
    else:
        raise AssertionError("the project was not read on its due day")


async def test_a_change_dates_its_project_so_sweeps_leave_it_until_its_day(sessions: async_sessionmaker) -> None:
    await apply(sessions, [changed(1, snapshot())], date(2025, 6, 1))
    await run_sweep(sessions, date(2025, 6, 1))  # records the county's basis
    await apply(sessions, [changed(1, other(2))], date(2025, 6, 1))  # a new project, no sweep since
    async with sessions() as session:
        assert await session.scalar(select(project_facts.c.next_due).where(project_facts.c.project_id == str(uuid.UUID(int=2)))) == IDLE_FROM
    assert (await run_sweep(sessions, date(2025, 6, 2))).projects == 0
    assert (await run_sweep(sessions, IDLE_FROM)).projects == 2


async def test_due_only_sweeps_raise_what_full_sweeps_raise(database: tuple[str, str | None]) -> None:
    """Two stores, the same projects and days: one sweeps what is due, the other forgets its basis every day (full sweep)."""
    url, schema = database
    stores = []
    for suffix in ("due", "full"):
        engine, factory = await open_store(url.replace("service.db", f"{suffix}.db"), f"{schema}_{suffix}" if schema else None)
        stores.append((engine, factory))
    projects = [changed(1, snapshot()), changed(1, other(2, stage="started", milestones=[{"name": "竣工", "planned": "2025-08-20"}])),
                changed(1, other(3, stage="started", last_source_record_time=datetime(2025, 6, 10, tzinfo=UTC), land_parcels=[])),
                changed(1, other(4, central_funds=[{"batch_id": "C1", "issued_on": "2025-05-15", "amount_fen": 100_00, "paid_fen": 0}]))]
    try:
        for _, factory in stores:
            await apply(factory, projects, date(2025, 6, 1))
        day, read = date(2025, 6, 1), 0
        while day <= date(2026, 3, 10):
            (_, due), (_, full) = stores
            async with full() as session, session.begin():
                await session.execute(delete(evaluation_basis))
            read += (await run_sweep(due, day)).projects
            await run_sweep(full, day)
            assert await _open(due) == await _open(full), day
            day += timedelta(days=1)
        assert await _open(due), "the scenario raised nothing: it proves nothing"
        assert read < 4 * 283 / 5, f"{read} project reads in 283 days: the sweep is not reading only what is due"
    finally:
        for engine, _ in stores:
            await engine.dispose()
        if schema:
            from tests.conftest import drop_schema
            for suffix in ("due", "full"):
                drop_schema(f"{schema}_{suffix}")


async def _open(factory: async_sessionmaker) -> list[tuple[Any, ...]]:
    async with factory() as session:
        return list((await session.execute(
            select(escalations.c.escalation_id, escalations.c.level, escalations.c.status).order_by(escalations.c.escalation_id))).all())


async def test_a_new_policy_re_evaluates_every_project_of_its_county(sessions: async_sessionmaker) -> None:
    await apply(sessions, [changed(1, other(n, stage="reserve", land_parcels=[])) for n in range(1, 8)], date(2025, 6, 1))
    first = await run_sweep(sessions, date(2025, 6, 1))
    assert first.reevaluated == 7
    assert (await run_sweep(sessions, date(2025, 6, 2))).projects == 0  # nothing dated: never due
    stricter = Policy(county_code="330106", policy_version=2, stale_after_months=2)
    progress: list[tuple[int, int]] = []
    report = await sweep(sessions, lambda county: stricter, date(2025, 6, 3), at(date(2025, 6, 3)), chunk=3,
                         on_progress=lambda done, left: progress.append((done, left)))
    assert report.reevaluated == 7
    assert progress == [(3, 4), (3, 1), (1, 0), (0, 0)]
    assert (await sweep(sessions, lambda county: stricter, date(2025, 6, 4), at(date(2025, 6, 4)))).projects == 0


async def test_the_due_query_uses_its_index(database: tuple[str, str | None]) -> None:
    url, schema = database
    engine, factory = await open_store(url, schema)
    try:
        start, now = date(2026, 1, 1), datetime(2026, 1, 1, tzinfo=UTC)
        rows = [{"project_id": str(uuid.UUID(int=n)), "county_code": "330106", "version": 1, "snapshot": {}, "updated_at": now,
                 "next_due": start + timedelta(days=n % 365)} for n in range(20_000)]
        async with factory() as session, session.begin():
            await session.execute(insert(project_facts), rows)
        due = (select(project_facts).where(project_facts.c.next_due <= date(2026, 1, 3))
               .order_by(project_facts.c.next_due, project_facts.c.project_id).limit(1000))
        async with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(text("ANALYZE project_facts"))
            sql = str(due.compile(connection.sync_engine if hasattr(connection, "sync_engine") else connection,
                                  compile_kwargs={"literal_binds": True}))
            prefix = "EXPLAIN QUERY PLAN " if connection.dialect.name == "sqlite" else "EXPLAIN "
            plan = "\n".join(str(row[-1]) for row in await connection.execute(text(prefix + sql)))
        assert "ix_project_facts_due" in plan, plan
        assert "SCAN project_facts\n" not in plan + "\n" and "Seq Scan" not in plan, plan
    finally:
        await engine.dispose()
