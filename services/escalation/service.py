"""Use-cases: take tracker's changes into the projection and evaluate them; the clock's sweep is in sweeping.py."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation.cases.following import PARTY_FIELDS, follow_facts
from services.escalation.domain.rules import reads_any
from services.escalation.evaluation import PolicyFor, evaluate, record
from services.escalation.problems.policy import ProblemPolicyFor, configured
from services.escalation.problems.work import take_reported
from services.escalation.records import open_records
from services.escalation.sweeping import Recorded, SweepReport, sweep
from services.escalation.tables import processed_events, project_facts, project_facts_history
from shared.contracts import ProjectStateChanged
from shared.contracts.escalation import EscalationFacts
from shared.db import lock_for_writing
from shared.json_text import JsonText, model_json
from shared.persistence import inserting, take_unprocessed

__all__ = ["SweepReport", "apply_changes", "sweep"]

# One statement for the whole batch (executemany): building a statement per row cost more than the row.
UPDATE_FACTS = (
    update(project_facts).where(project_facts.c.project_id == bindparam("pid"), project_facts.c.version < bindparam("version"))
    .values(version=bindparam("version"), snapshot=bindparam("snapshot"), updated_at=bindparam("updated_at"),
            next_due=bindparam("next_due"))
)
# Locked (PostgreSQL; SQLite has one writer anyway) in a fixed order: another replica's batch or the sweep touching the
# same projects waits, then sees this version, so the projection never steps back.
STORED_VERSIONS = (
    select(project_facts.c.project_id, project_facts.c.version).where(project_facts.c.project_id.in_(bindparam("ids", expanding=True)))
    .order_by(project_facts.c.project_id).with_for_update()
)


async def apply_changes(sessions: async_sessionmaker, events: Sequence[ProjectStateChanged], policy_for: PolicyFor, as_of: date,
                        now: datetime, on_recorded: Recorded | None = None, problem_policy_for: ProblemPolicyFor | None = None) -> list[bool]:
    """Project tracker's changes (newest version wins) and evaluate the projects they touched.

    For each event, whether it was taken (False: processed before, or a repeat in this batch)."""
    async with sessions() as session, session.begin():
        await lock_for_writing(session)
        event_ids = [str(e.event_id) for e in events]  # a UUID's text is built anew each time it is asked for
        first = await take_unprocessed(session, processed_events, event_ids, now)
        fresh = [(event, event_id, str(event.project_id)) for event, event_id, new in zip(events, event_ids, first, strict=True) if new]
        newest: dict[str, tuple[ProjectStateChanged, str]] = {}
        changed: dict[str, set[str]] = {}
        for event, event_id, project_id in fresh:
            changed.setdefault(project_id, set()).update(event.changed_fields)
            if project_id not in newest or event.version > newest[project_id][0].version:
                newest[project_id] = event, event_id
        stored = dict((await session.execute(STORED_VERSIONS, {"ids": list(newest)})).all())
        dumped = {event_id: model_json(e.snapshot) for e, event_id, project_id in fresh if e.version > stored.get(project_id, 0)}
        rows, updates, inserts = [], [], []
        for project_id, (event, event_id) in newest.items():
            if stored.get(project_id, 0) >= event.version:
                continue  # an older state arriving late: the projection already knows better
            values = {"project_id": project_id, "county_code": event.county_code, "version": event.version,
                      "snapshot": dumped[event_id], "updated_at": now}
            (updates if project_id in stored else inserts).append(values)
            if project_id not in stored or reads_any(changed[project_id]):
                rows.append({"correlation_id": event.correlation_id, "model": event.snapshot, **values})
        # Evaluated before the projection is written (the rules read the snapshots in hand and the open escalations), so
        # each row goes out with its next due day: a statement fewer than dating it afterwards. Due today unless
        # evaluated: a change no rule reads still clears R6's grey at the next sweep.
        evaluated = evaluate(rows, await open_records(session, [r["project_id"] for r in rows]), policy_for, as_of)
        due = {e.project["project_id"]: e.next_due for e in evaluated}
        for values in (*updates, *inserts):
            values["next_due"] = due.get(values["project_id"], as_of)
        history = [_history_row(e, project_id, dumped[event_id], now) for e, event_id, project_id in fresh if event_id in dumped]
        if history:
            await session.execute(inserting(project_facts_history), history)
        if updates:
            await session.execute(UPDATE_FACTS, [{"pid": v["project_id"], **v} for v in updates])
        if inserts:  # a concurrent insert of the same project fails the whole batch, which is then redelivered
            await session.execute(inserting(project_facts), inserts)
        # Every row updated was read above under its lock (and the guard left it to us), so this transaction moved
        # each project it evaluates: no other replica can have stored a newer version of it in between.
        recorded = await record(session, evaluated, as_of, now)
        # New facts (a leader, a lead department) move the open cases they name, whatever record brought them first.
        await follow_facts(session, [(e.project, e.policy, f) for e in evaluated for f in e.findings], as_of, now,
                           {pid for pid, fields in changed.items() if fields & PARTY_FIELDS},
                           {str(event.escalation_id) for event in recorded if isinstance(event, EscalationFacts)})
        # The ledgers' 存在问题 join the problem list in the same transaction (problems/work.py): raised once, then "still reported".
        moved = [(v["project_id"], v["county_code"], newest[v["project_id"]][0].snapshot.model_dump(mode="json")) for v in (*updates, *inserts)
                 if any(f.startswith("reported_problems") for f in changed[v["project_id"]])]
        await take_reported(session, moved, policy_for, problem_policy_for or configured(), as_of, now)
    if on_recorded:
        on_recorded(recorded)  # after the commit: what the outbox will publish
    return first


def _history_row(event: ProjectStateChanged, project_id: str, snapshot: JsonText, now: datetime) -> dict[str, Any]:
    """Every version is kept (not only a batch's newest), so an as-of evaluation sees what was known then."""
    return {"project_id": project_id, "county_code": event.county_code, "version": event.version,
            "snapshot": snapshot, "known_from": event.snapshot.last_source_record_time,
            "recorded_at": now}
