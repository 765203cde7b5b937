"""EscalationRaised/Escalated/Resolved → escalations and their history; CaseChanged → cases and theirs."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Annotated, Any

from pydantic import Field, TypeAdapter
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.console.colour import finding_colour
from services.console.projection.common import add_routes, recolour, unseen
from services.console.tables import case_events, cases, escalation_events, escalations
from shared.contracts import CaseChanged, EscalationEscalated, EscalationRaised, EscalationResolved, Recipient
from shared.persistence import inserting

EscalationEvent = EscalationRaised | EscalationEscalated | EscalationResolved
_escalation_event: TypeAdapter[Any] = TypeAdapter(Annotated[EscalationEvent, Field(discriminator="kind")])


def decode_escalation(body: bytes) -> EscalationEvent:
    return _escalation_event.validate_json(body)  # type: ignore[no-any-return]


def _departments(recipients: Sequence[Recipient]) -> set[str]:
    return {r.name for r in recipients if r.kind == "department"}


@cache  # built once per table (see shared.persistence.inserting)
def _rows_by_key(table: Any, key: str) -> Any:
    return select(table).where(table.c[key].in_(bindparam("ids", expanding=True)))


@cache
def _update_by_key(table: Any, key: str) -> Any:
    return update(table).where(table.c[key] == bindparam("id_")).values({c.name: bindparam(c.name) for c in table.c if c.name != key})


async def _current(session: AsyncSession, table: Any, key: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    rows = await session.execute(_rows_by_key(table, key), {"ids": ids})
    return {row._mapping[key]: dict(row._mapping) for row in rows}


def _wins(new_at: datetime, new_rank: int, old_at: datetime, old_rank: int) -> bool:
    """Events can arrive out of order across batches and replicas: the newest (then the furthest) wins."""
    return (new_at, new_rank) >= (old_at.replace(tzinfo=new_at.tzinfo) if old_at.tzinfo is None else old_at, old_rank)


def _escalation_rank(row: dict[str, Any]) -> int:
    return row["level"] + (100 if row["status"] == "resolved" else 0)


async def _write_newest(session: AsyncSession, table: Any, key: str, stored: dict[str, Any], newest: dict[str, dict[str, Any]]) -> None:
    """A batch's winners, each written once: new ids in one insert, known ones in one executemany update. A winner is the
    row it beat with the event's fields over it, so a column no event fills keeps what it held."""
    columns = [column.name for column in table.c if column.name != key]
    rows = {id_: {name: row.get(name) for name in columns} for id_, row in newest.items()}
    if new := [{key: id_, **row} for id_, row in rows.items() if id_ not in stored]:
        await session.execute(inserting(table), new)
    if known := [{"id_": id_, **row} for id_, row in rows.items() if id_ in stored]:
        await session.execute(_update_by_key(table, key), known)


async def _add_all_routes(session: AsyncSession, routes: dict[str, set[tuple[str, str]]]) -> None:
    for county_code, pairs in routes.items():
        await add_routes(session, county_code, pairs)


async def apply_escalation_events(sessions: async_sessionmaker, events: Sequence[EscalationEvent], now: datetime) -> int:
    async with sessions() as session, session.begin():
        fresh = await unseen(session, events, now)
        if not fresh:
            return 0
        stored = await _current(session, escalations, "escalation_id", sorted({str(e.escalation_id) for e in fresh}))
        newest: dict[str, dict[str, Any]] = {}  # the state each event leaves, if it wins against what is known so far
        routes: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for event in fresh:
            eid, status = str(event.escalation_id), "resolved" if event.kind == "resolved" else "open"
            row = {"project_id": str(event.project_id), "county_code": event.county_code, "rule_id": event.rule_id,
                   "subject": event.subject, "level": event.level, "level_name": event.level_name, "status": status,
                   "colour": finding_colour(event.level, event.evidence), "evidence": dict(event.evidence),
                   "recipients": [r.model_dump(mode="json") for r in event.recipients], "summary": event.summary,
                   "as_of": event.as_of, "changed_at": event.occurred_at}
            old = newest.get(eid) or stored.get(eid)
            if old is None or _wins(event.occurred_at, _escalation_rank(row), old["changed_at"], _escalation_rank(old)):
                newest[eid] = {**(old or {}), **row}
            routes[event.county_code] |= {(str(event.project_id), d) for d in _departments(event.recipients)}
        await _write_newest(session, escalations, "escalation_id", stored, newest)
        await _add_all_routes(session, routes)
        await session.execute(inserting(escalation_events), [{
            "event_id": str(e.event_id), "escalation_id": str(e.escalation_id), "project_id": str(e.project_id),
            "county_code": e.county_code, "kind": e.kind, "level": e.level, "level_name": e.level_name, "summary": e.summary,
            "occurred_at": e.occurred_at, "recorded_at": now} for e in fresh])
        await recolour(session, [str(e.project_id) for e in fresh])
        return len(fresh)


def _target(event: CaseChanged) -> tuple[str, str] | None:
    """Who must act now: the event says so; events from before it did name the first recipient asked to act."""
    if event.target_kind and event.target_name:
        return event.target_kind, event.target_name
    acting = [r for r in event.recipients if r.role == "action"]
    return (acting[0].kind.value, acting[0].name) if acting else None


async def apply_case_events(sessions: async_sessionmaker, events: Sequence[CaseChanged], now: datetime) -> int:
    async with sessions() as session, session.begin():
        fresh = await unseen(session, events, now)
        if not fresh:
            return 0
        stored = await _current(session, cases, "case_id", sorted({str(e.case_id) for e in fresh}))
        newest: dict[str, dict[str, Any]] = {}
        routes: dict[str, set[tuple[str, str]]] = defaultdict(set)
        for event in fresh:
            cid, target = str(event.case_id), _target(event)
            row: dict[str, Any] = {
                "escalation_id": str(event.escalation_id), "project_id": str(event.project_id), "county_code": event.county_code,
                "rule_id": event.rule_id, "state": event.state.value, "ladder_level": event.ladder_level,
                "level_name": event.level_name, "due_on": event.due_on, "due_provisional": event.due_provisional,
                "clocks_paused": event.clocks_paused, "summary": event.summary, "changed_at": event.occurred_at}
            if target:
                row["target_kind"], row["target_name"] = target
            old = newest.get(cid) or stored.get(cid)
            if old is None or _wins(event.occurred_at, event.ladder_level, old["changed_at"], old["ladder_level"]):
                newest[cid] = {**(old or {}), **row}  # an event naming nobody to act keeps the target it had
            departments = _departments(event.recipients) | ({target[1]} if target and target[0] == "department" else set())
            routes[event.county_code] |= {(str(event.project_id), d) for d in departments}
        await _write_newest(session, cases, "case_id", stored, newest)
        await _add_all_routes(session, routes)
        await session.execute(inserting(case_events), [{
            "event_id": str(e.event_id), "case_id": str(e.case_id), "project_id": str(e.project_id), "county_code": e.county_code,
            "action": e.action.value, "state": e.state.value, "ladder_level": e.ladder_level, "actor": e.actor, "note": e.note,
            "summary": e.summary, "occurred_at": e.occurred_at, "recorded_at": now} for e in fresh])
        return len(fresh)
