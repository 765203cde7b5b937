"""A batch's projection writes: every version into the history, the newest into project_facts.

SQLite: an executemany per statement. PostgreSQL: one statement, a WITH of the INSERTs and the UPDATE, each from an
array per column: a statement each cost a round trip, most of what a small batch costs (tracker's writes.py likewise).
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.tables import project_facts, project_facts_history
from shared.persistence import as_arrays, insert_from_arrays, inserting, one_dimension

# A version already newer in the projection is left as it is (the guard `version < incoming`).
UPDATE_FACTS = (
    update(project_facts).where(project_facts.c.project_id == bindparam("pid"), project_facts.c.version < bindparam("version"))
    .values(version=bindparam("version"), snapshot=bindparam("snapshot"), updated_at=bindparam("updated_at"),
            next_due=bindparam("next_due"))
)
HISTORY_COLUMNS = ("project_id", "county_code", "version", "snapshot", "known_from", "recorded_at")
FACTS_COLUMNS = ("project_id", "county_code", "version", "snapshot", "updated_at", "next_due")
_UPDATED = ("project_id", "version", "snapshot", "updated_at", "next_due")
_HISTORY_SQL, _HISTORY_BINDS = insert_from_arrays(project_facts_history, HISTORY_COLUMNS)
_FACTS_SQL, _FACTS_BINDS = insert_from_arrays(project_facts, FACTS_COLUMNS)
WRITE_AT_ONCE = text(
    f"WITH history AS ({_HISTORY_SQL}), inserted AS ({_FACTS_SQL}) "
    "UPDATE project_facts SET version = incoming.version, snapshot = incoming.snapshot, updated_at = incoming.updated_at, "
    "next_due = incoming.next_due "
    "FROM unnest(:project_id, :version, :snapshot, :updated_at, :next_due) "
    "AS incoming(project_id, version, snapshot, updated_at, next_due) "
    "WHERE project_facts.project_id = incoming.project_id AND project_facts.version < incoming.version"
).bindparams(*_HISTORY_BINDS, *_FACTS_BINDS,
             *(bindparam(name, type_=one_dimension(project_facts.c[name].type)) for name in _UPDATED))


async def store_facts(session: AsyncSession, history: list[dict[str, Any]], updates: list[dict[str, Any]],
                      inserts: list[dict[str, Any]]) -> None:
    """In the caller's transaction. A concurrent insert of the same project fails the whole batch (redelivered)."""
    if not (history or updates or inserts):
        return
    if session.bind.dialect.name == "postgresql":
        await session.execute(WRITE_AT_ONCE, {
            **as_arrays(project_facts_history, HISTORY_COLUMNS, history), **as_arrays(project_facts, FACTS_COLUMNS, inserts),
            **{name: [row[name] for row in updates] for name in _UPDATED},
        })
        return
    if history:
        await session.execute(inserting(project_facts_history), history)
    if updates:
        await session.execute(UPDATE_FACTS, [{"pid": v["project_id"], **v} for v in updates])
    if inserts:
        await session.execute(inserting(project_facts), inserts)
