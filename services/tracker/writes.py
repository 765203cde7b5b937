"""A batch's writes: the projects' rows, the change log, the stage history and the outbox, under the version guard.

SQLite: an executemany per table; the guarded UPDATE counts the rows it changed. PostgreSQL: one statement for all of
them, a WITH of the UPDATE and the INSERTs, each from an array per column, returning the projects it updated. A
statement per table cost a round trip each, and the transaction's fixed cost is most of a small batch's: at 500
updates/s a batch holds about ten updates.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from services.tracker.tables import change_log, outbox, projects, stage_history
from shared.persistence import as_arrays, hand_over_after_commit, insert_from_arrays, inserting, unnest_arrays

UPDATED = ("name", "stage", "version", "state", "updated_at")
# Built once: the version guard makes a concurrent writer's update fail instead of being overwritten.
UPDATE_PROJECT = (
    update(projects).where(projects.c.project_id == bindparam("pid"), projects.c.version == bindparam("seen_version"))
    .values({name: bindparam(name) for name in UPDATED})
)

# PostgreSQL: the same guarded update for a whole batch, from an array per column, and every INSERT beside it.
_GUARDED = {"pid": projects.c.project_id.type, "seen_version": projects.c.version.type, **{name: projects.c[name].type for name in UPDATED}}
_INCOMING = unnest_arrays(_GUARDED, name="incoming")
_UPDATE_FROM_ARRAYS = (
    update(projects).where(projects.c.project_id == _INCOMING.c.pid, projects.c.version == _INCOMING.c.seen_version)
    .values({name: _INCOMING.c[name] for name in UPDATED}).returning(projects.c.project_id).cte("updated")
)
INSERTED = {table: tuple(column.name for column in table.c if column.name not in ("id", "seq"))
            for table in (projects, change_log, stage_history, outbox)}
# Each part of a WITH runs once, whether the query reads it or not; the foreign keys are checked at the statement's
# end, so a change log row may name a project created beside it. PostgreSQL settles on a generic plan for it after five
# runs (pg_prepared_statements); escalation's projection written the same way, a WITH of fewer tables, was planned
# anew at every run and cost the server more than the round trip it saved, so escalation keeps its executemany.
WRITE_AT_ONCE = select(_UPDATE_FROM_ARRAYS.c.project_id).add_cte(
    *(insert_from_arrays(table, columns).cte(f"{table.name}_rows") for table, columns in INSERTED.items())
)


class ConcurrentUpdate(Exception):
    """Another replica changed the project in between: retry the batch."""


@dataclass
class BatchWrites:
    created: list[dict[str, Any]] = field(default_factory=list)  # new projects' rows
    changed: list[dict[str, Any]] = field(default_factory=list)  # UPDATED, with `pid` and the `seen_version` guarded
    logs: list[dict[str, Any]] = field(default_factory=list)
    stages: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)  # outbox rows

    def rows(self) -> dict[Table, list[dict[str, Any]]]:
        return {projects: self.created, change_log: self.logs, stage_history: self.stages, outbox: self.events}


async def write(session: AsyncSession, writes: BatchWrites) -> None:
    """Everything in the caller's transaction; ConcurrentUpdate when a project moved meanwhile (a version read
    before is no longer there) or another replica created one of the new ones (its 项目代码 is taken)."""
    if not writes.changed and not any(writes.rows().values()):  # a batch of repeats, or of nothing new: no statement
        return
    try:
        if session.bind.dialect.name == "postgresql":
            await _write_at_once(session, writes)
        else:
            await _write_each(session, writes)
    except IntegrityError as error:
        if not writes.created:
            raise
        raise ConcurrentUpdate(str(error.orig)) from error
    hand_over_after_commit(session.sync_session, writes.events)


async def _write_at_once(session: AsyncSession, writes: BatchWrites) -> None:
    """asyncpg reports no row counts for an executemany, and a version read back cannot tell another replica's equal
    version from ours: the UPDATE returns the ids it changed."""
    arrays = {name: [row[name] for row in writes.changed] for name in _GUARDED}
    for table, rows in writes.rows().items():
        arrays |= as_arrays(table, INSERTED[table], rows)
    changed = set((await session.execute(WRITE_AT_ONCE, arrays)).scalars())
    if missed := [row["pid"] for row in writes.changed if row["pid"] not in changed]:
        raise ConcurrentUpdate(f"{len(missed)} of {len(writes.changed)} projects, {missed[0]} first")


async def _write_each(session: AsyncSession, writes: BatchWrites) -> None:
    if writes.changed:
        result = await session.execute(UPDATE_PROJECT, writes.changed)
        if result.rowcount != len(writes.changed):
            raise ConcurrentUpdate(f"{len(writes.changed) - result.rowcount} of {len(writes.changed)} projects")
    for table, rows in writes.rows().items():
        if rows:
            await session.execute(inserting(table), rows)
