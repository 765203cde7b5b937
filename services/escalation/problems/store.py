"""Writing one step of a problem, a meeting or an assignment: the version-guarded row, its audit row and its event (outbox)."""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.problems import assignments as assignment_life
from services.escalation.problems import lifecycle as problem_life
from services.escalation.tables import (
    assignments,
    coordination_actions,
    document_numbers,
    meetings,
    outbox,
    problems,
    project_facts,
    referrals,
)
from shared import subjects
from shared.contracts import CoordinationChanged, Recipient
from shared.persistence import add_to_outbox

# Fixed forever: ids of problems and of their events are derived from it.
NAMESPACE = uuid.UUID("5d1c0a7e-2b44-4f0e-9c61-7a2e3b9d4c15")
TABLES: dict[str, tuple[Table, str]] = {"problem": (problems, "problem_id"), "meeting": (meetings, "meeting_id"),
                                        "assignment": (assignments, "assignment_id"), "referral": (referrals, "referral_id")}
KIND_NAMES = {"problem": "问题", "meeting": "会议", "assignment": "交办事项", "referral": "移送"}


class Conflict(Exception):
    """Someone else changed the item in between (version guard): read it again and retry."""


@dataclass(frozen=True, slots=True)
class Actor:
    person_id: str | None
    name: str
    role: str


SYSTEM = Actor(None, "系统", "system")


def problem_id_for(project_id: str, key: str) -> str:
    """The same project and key is the same problem, on every replica and every replay."""
    return str(uuid.uuid5(NAMESPACE, f"problem|{project_id}|{key}"))


def event_id_for(item_id: str, action: str, step: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"{item_id}|{action}|{step}")


def problem_values(problem: problem_life.Problem) -> dict[str, Any]:
    return asdict(problem)


def problem_of(row: Any) -> problem_life.Problem:
    return problem_life.Problem(**{f: row[f] for f in problem_life.Problem.__dataclass_fields__})


def assignment_values(assignment: assignment_life.Assignment) -> dict[str, Any]:
    return asdict(assignment)


def assignment_of(row: Any) -> assignment_life.Assignment:
    return assignment_life.Assignment(**{f: row[f] for f in assignment_life.Assignment.__dataclass_fields__})


async def project_names(session: AsyncSession, project_id: str | None) -> tuple[str | None, str | None]:
    if not project_id:
        return None, None
    snapshot = await session.scalar(select(project_facts.c.snapshot).where(project_facts.c.project_id == project_id)) or {}
    return snapshot.get("project_code"), snapshot.get("name")


@dataclass(frozen=True, slots=True)
class Step:
    """One step: which item, the action, what the row becomes and who hears of it."""

    item_kind: str
    item_id: str
    county_code: str
    action: str
    values: dict[str, Any]
    version: int | None  # the stored version it must still be; None: a new row
    from_state: str | None
    recipients: tuple[tuple[str, str, str], ...]  # (kind, name, role)
    note: str = ""
    details: dict[str, Any] | None = None
    project_id: str | None = None
    step: str | None = None  # what makes the event id unique besides the version (a ledger month, a level)


def _level_name(kind: str, level: int) -> str:
    if kind == "problem":
        return problem_life.LEVEL_NAMES[level]
    if kind == "assignment":
        return assignment_life.LEVEL_NAMES[level]
    return "移送" if kind == "referral" else "会议"


async def record(session: AsyncSession, step: Step, actor: Actor, as_of: date, now: datetime, summary: str) -> CoordinationChanged:
    """Row, audit row and event in the caller's transaction; a stale version raises Conflict (nothing written)."""
    table, key = TABLES[step.item_kind]
    version = 1 if step.version is None else step.version + 1
    values = {**step.values, "version": version, "updated_at": now}
    if step.version is None:
        await session.execute(insert(table).values({key: step.item_id, **values}))
    else:
        result = await session.execute(update(table).where(table.c[key] == step.item_id, table.c.version == step.version).values(values))
        if result.rowcount != 1:
            raise Conflict(f"{step.item_kind} {step.item_id} changed meanwhile; read it again")
    row = (await session.execute(select(table).where(table.c[key] == step.item_id))).mappings().one()
    event, audit = _written(step, dict(row), version, actor, as_of, now, summary, await project_names(session, step.project_id))
    await session.execute(insert(coordination_actions).values(audit))
    await add_to_outbox(session, outbox, [(event, subjects.coordination(step.county_code, step.item_kind, step.action))], now)
    return event


async def record_new(session: AsyncSession, steps: Sequence[tuple[Step, str]], actor: Actor, as_of: date,
                     now: datetime) -> list[CoordinationChanged]:
    """`record` for many new items of one kind at once (a first sweep refers thousands): a statement per table, not five per item."""
    if not steps:
        return []
    table, key = TABLES[steps[0][0].item_kind]
    rows = [{key: step.item_id, **step.values, "version": 1, "updated_at": now} for step, _ in steps]
    await session.execute(insert(table), rows)
    names = {pid: (snapshot.get("project_code"), snapshot.get("name")) for pid, snapshot in await session.execute(
        select(project_facts.c.project_id, project_facts.c.snapshot).where(
            project_facts.c.project_id.in_(sorted({s.project_id for s, _ in steps if s.project_id}))))}
    written = [_written(step, row, 1, actor, as_of, now, summary, names.get(step.project_id, (None, None)))
               for (step, summary), row in zip(steps, rows, strict=True)]
    await session.execute(insert(coordination_actions), [audit for _, audit in written])
    await add_to_outbox(session, outbox, [(event, subjects.coordination(step.county_code, step.item_kind, step.action))
                                          for (step, _), (event, _) in zip(steps, written, strict=True)], now)
    return [event for event, _ in written]


def _written(step: Step, row: dict[str, Any], version: int, actor: Actor, as_of: date, now: datetime, summary: str,
             names: tuple[str | None, str | None]) -> tuple[CoordinationChanged, dict[str, Any]]:
    """The event a step causes and its audit row, from the row as written."""
    event_id = event_id_for(step.item_id, step.action, step.step or f"v{version}")
    level = row.get("level", 1)
    audit = dict(item_kind=step.item_kind, item_id=step.item_id, county_code=step.county_code, action=step.action, actor_id=actor.person_id,
                 actor_name=actor.name, actor_role=actor.role, from_state=step.from_state, to_state=row["state"], level=level, note=step.note,
                 details=step.details or {}, as_of=as_of, acted_at=now, event_id=str(event_id))
    code, name = names
    event = CoordinationChanged(
        event_id=event_id, occurred_at=now, county_code=step.county_code, correlation_id=step.project_id or step.item_id,
        item_kind=step.item_kind, item_id=uuid.UUID(step.item_id), number=row.get("number") or row.get("minutes_number"),
        project_id=uuid.UUID(step.project_id) if step.project_id else None, project_code=code, project_name=name,
        action=step.action, state=row["state"], level=level, level_name=_level_name(step.item_kind, level),
        target_kind=row.get("target_kind"), target_name=row.get("target_name"), due_on=row.get("due_on"),
        actor=actor.person_id, note=step.note[:2000],
        recipients=tuple(Recipient(kind=k, name=n, role=r) for k, n, r in _unique(step.recipients)), summary=summary[:500])
    return event, audit


def _unique(recipients: tuple[tuple[str, str, str], ...]) -> list[tuple[str, str, str]]:
    seen: dict[tuple[str, str], tuple[str, str, str]] = {}
    for kind, name, role in recipients:
        if name and (kind, name) not in seen:
            seen[(kind, name)] = (kind, name, role)
    return list(seen.values())


async def next_document_number(session: AsyncSession, county_code: str, kind: str, year: int, prefix: str) -> str:
    """纪要〔2026〕3号: one past the last of the county's kind this year; the row is the lock (compare and set)."""
    for _ in range(20):
        last = await session.scalar(select(document_numbers.c.last).where(
            document_numbers.c.county_code == county_code, document_numbers.c.kind == kind, document_numbers.c.year == year))
        if last is None:
            await session.execute(insert(document_numbers).values(county_code=county_code, kind=kind, year=year, last=1))
            return f"{prefix}〔{year}〕1号"
        result = await session.execute(update(document_numbers).where(
            document_numbers.c.county_code == county_code, document_numbers.c.kind == kind, document_numbers.c.year == year,
            document_numbers.c.last == last).values(last=last + 1))
        if result.rowcount == 1:
            return f"{prefix}〔{year}〕{last + 1}号"
    raise Conflict(f"could not number a {kind} of county {county_code}")
