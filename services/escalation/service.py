"""Use-cases: take tracker's changes into the projection and evaluate; sweep everything on a clock."""
from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.escalation import policy_versions
from services.escalation.cases.advance import advance_all_cases
from services.escalation.domain.ladder import Decision
from services.escalation.domain.policy import Policy
from services.escalation.domain.rules import RULES, evaluate_all, reads_any
from services.escalation.projection import facts_of
from services.escalation.reconcile import reconcile
from services.escalation.records import Recorder, open_records
from services.escalation.tables import outbox, processed_events, project_facts, project_facts_history
from shared.contracts import ProjectSnapshot, ProjectStateChanged
from shared.contracts.base import Event
from shared.db import lock_for_writing
from shared.persistence import add_to_outbox, already_processed, mark_processed

PolicyFor = Callable[[str], Policy]
Recorded = Callable[[list[Event]], None]  # told of the escalation events a committed transaction recorded
# One statement for the whole batch (executemany): building a statement per row cost more than the row.
UPDATE_FACTS = (
    update(project_facts).where(project_facts.c.project_id == bindparam("pid"), project_facts.c.version < bindparam("version"))
    .values(version=bindparam("version"), snapshot=bindparam("snapshot"), updated_at=bindparam("updated_at"))
)
RULE_IDS = tuple(rule.rule_id for rule in RULES)


@dataclass
class Evaluated:
    project: dict[str, Any]
    policy: Policy
    decisions: list[Decision] = field(default_factory=list)


def evaluate(rows: Sequence[dict[str, Any]], open_by_project: dict[str, list], policy_for: PolicyFor, as_of: date) -> list[Evaluated]:
    """Pure: every project's decisions as of one Beijing date."""
    evaluated = []
    for row in rows:
        snapshot = row.get("model") or ProjectSnapshot.model_validate(row["snapshot"])
        policy = policy_for(row["county_code"])
        findings = evaluate_all(facts_of(snapshot, row["county_code"]), policy, as_of)
        project = {"project_id": row["project_id"], "county_code": row["county_code"], "project_code": snapshot.project_code,
                   "name": snapshot.name, "correlation_id": row.get("correlation_id") or row["project_id"]}
        decisions = reconcile(row["project_id"], open_by_project.get(row["project_id"], []), findings, RULE_IDS)
        evaluated.append(Evaluated(project, policy, decisions))
    return evaluated


async def _evaluate_and_record(session: AsyncSession, rows: Sequence[dict[str, Any]], policy_for: PolicyFor, as_of: date,
                               now: datetime) -> list[Event]:
    open_by_project = await open_records(session, [r["project_id"] for r in rows])
    recorder = Recorder(session, now, as_of)
    evaluated = evaluate(rows, open_by_project, policy_for, as_of)
    await policy_versions.remember(session, [item.policy for item in evaluated if item.decisions], now)
    for item in evaluated:
        for decision in item.decisions:
            await recorder.apply(item.project, item.policy, decision)
    await add_to_outbox(session, outbox, recorder.events, now)
    return [event for event, _ in recorder.events]


async def apply_changes(sessions: async_sessionmaker, events: Sequence[ProjectStateChanged], policy_for: PolicyFor, as_of: date,
                        now: datetime, on_recorded: Recorded | None = None) -> list[bool]:
    """Project tracker's changes (newest version wins) and evaluate the projects they touched."""
    async with sessions() as session, session.begin():
        await lock_for_writing(session)
        seen = await already_processed(session, processed_events, [str(e.event_id) for e in events])
        fresh = {str(e.event_id): e for e in events if str(e.event_id) not in seen}
        newest: dict[str, ProjectStateChanged] = {}
        changed: dict[str, set[str]] = {}
        for event in fresh.values():
            key = str(event.project_id)
            changed.setdefault(key, set()).update(event.changed_fields)
            if key not in newest or event.version > newest[key].version:
                newest[key] = event
        # Locked (PostgreSQL; SQLite has one writer anyway) in a fixed order: another replica's batch or the sweep
        # touching the same projects waits, then sees this version, so the projection never steps back.
        stored = dict((await session.execute(
            select(project_facts.c.project_id, project_facts.c.version).where(project_facts.c.project_id.in_(list(newest)))
            .order_by(project_facts.c.project_id).with_for_update()
        )).all())
        rows, updates, inserts = [], [], []
        for project_id, event in newest.items():
            if stored.get(project_id, 0) >= event.version:
                continue  # an older state arriving late: the projection already knows better
            values = {"project_id": project_id, "county_code": event.county_code, "version": event.version,
                      "snapshot": event.snapshot.model_dump(mode="json"), "updated_at": now}
            (updates if project_id in stored else inserts).append(values)
            if project_id not in stored or reads_any(changed[project_id]):
                rows.append({"correlation_id": event.correlation_id, "model": event.snapshot, **values})
        history = [_history_row(e, now) for e in fresh.values() if e.version > stored.get(str(e.project_id), 0)]
        if history:
            await session.execute(insert(project_facts_history), history)
        if updates:
            await session.execute(UPDATE_FACTS, [{"pid": v["project_id"], **v} for v in updates])
        if inserts:
            await session.execute(insert(project_facts), inserts)
        if updates:  # evaluate only what this transaction moved: another replica may hold a newer version already
            updated = [v["project_id"] for v in updates]
            now_stored = dict((await session.execute(
                select(project_facts.c.project_id, project_facts.c.version).where(project_facts.c.project_id.in_(updated))
            )).all())
            # Inserted rows are ours for sure (a concurrent insert fails the whole batch, which is then redelivered).
            rows = [row for row in rows if row["project_id"] not in now_stored or now_stored[row["project_id"]] == row["version"]]
        recorded = await _evaluate_and_record(session, rows, policy_for, as_of, now)
        await mark_processed(session, processed_events, list(fresh), now)
    if on_recorded:
        on_recorded(recorded)  # after the commit: what the outbox will publish
    return [str(e.event_id) in fresh for e in events]


def _history_row(event: ProjectStateChanged, now: datetime) -> dict[str, Any]:
    """Every version is kept (not only a batch's newest), so an as-of evaluation sees what was known then."""
    return {"project_id": str(event.project_id), "county_code": event.county_code, "version": event.version,
            "snapshot": event.snapshot.model_dump(mode="json"), "known_from": event.snapshot.last_source_record_time,
            "recorded_at": now}


@dataclass
class SweepReport:
    as_of: date
    projects: int = 0
    events: int = 0
    case_events: int = 0
    planned: list[tuple[dict[str, Any], Decision]] = field(default_factory=list)


async def sweep(sessions: async_sessionmaker, policy_for: PolicyFor, as_of: date, now: datetime,
                county_code: str | None = None, dry_run: bool = False, chunk: int = 1000,
                lock: asyncio.Lock | None = None, on_recorded: Recorded | None = None) -> SweepReport:
    """Evaluate every project as of a date: land becomes idle with no event at all.

    A dry run (the CLI's what-if) reports what would be raised, escalated or resolved and writes nothing.
    `lock` is held per chunk, so the change handler of the same process interleaves with a long sweep
    instead of racing it for the same escalation rows.
    """
    report = SweepReport(as_of)
    after = ""
    while True:
        recorded: list[Event] = []
        async with lock or contextlib.nullcontext(), sessions() as session, session.begin():
            if not dry_run:
                await lock_for_writing(session)
            query = select(project_facts).where(project_facts.c.project_id > after).order_by(project_facts.c.project_id).limit(chunk)
            if county_code:
                query = query.where(project_facts.c.county_code == county_code)
            if not dry_run:
                query = query.with_for_update()  # the change handlers of other replicas wait for this chunk
            rows = [dict(r) for r in (await session.execute(query)).mappings()]
            if not rows:
                break
            after = rows[-1]["project_id"]
            report.projects += len(rows)
            if dry_run:
                open_by_project = await open_records(session, [r["project_id"] for r in rows])
                report.planned += [(e.project, d) for e in evaluate(rows, open_by_project, policy_for, as_of) for d in e.decisions]
            else:
                recorded = await _evaluate_and_record(session, rows, policy_for, as_of, now)
                report.events += len(recorded)
        if on_recorded and recorded:
            on_recorded(recorded)
    if not dry_run:  # the case clocks: missed deadlines climb the ladder (their own transactions, chunked)
        report.case_events = len(await advance_all_cases(sessions, county_code, as_of, now, policy_for=policy_for, chunk=chunk, lock=lock))
    return report
