"""Use-case: apply a batch of ProjectUpdated events in one transaction, with their outbox events."""
from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import RowMapping, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.tracker import domain
from services.tracker.identity import Resolved, insert_aliases, load_identities, resolve
from services.tracker.tables import processed_events, projects
from services.tracker.writes import BatchWrites, ConcurrentUpdate, write
from shared import subjects
from shared.contracts import ProjectSnapshot, ProjectStateChanged, ProjectUpdated
from shared.persistence import outbox_row, take_unprocessed

STATE_CHANGED_NAMESPACE = uuid.UUID("7b1f3f64-2a7e-4c55-9a51-0c3c8b1d2e10")
CONFLICT_ATTEMPTS = 5

# Built once (building a statement cost more than running it for a small batch); the ids bind when run.
BY_IDS = select(projects).where(projects.c.project_id.in_(bindparam("ids", expanding=True)))


class Outcome(StrEnum):
    changed = "changed"
    unchanged = "unchanged"  # every field was already as new or newer
    duplicate = "duplicate"  # this event was applied before


@dataclass
class _Project:
    row: dict[str, Any] | None  # None: first seen in this batch
    county_code: str
    code: str | None
    state: domain.State
    version: int


async def apply_updates(sessions: async_sessionmaker, events: Sequence[ProjectUpdated], now: datetime,
                        attempts: int = CONFLICT_ATTEMPTS) -> list[Outcome]:
    """One transaction for the batch. A replica that changed one of its projects in between made the
    version guard fail: the batch is merged again at once on the newer state (the other replica has
    committed by then), and only after `attempts` such conflicts left to JetStream's delayed redelivery."""
    for attempt in range(1, attempts + 1):
        try:
            async with sessions() as session, session.begin():
                return await _apply(session, events, now)
        except ConcurrentUpdate:
            if attempt == attempts:
                raise
            # Retry jitter, not a secret (bandit B311).
            await asyncio.sleep(random.uniform(0, 0.02 * attempt))  # nosec B311
    raise AssertionError("unreachable")


async def _apply(session: AsyncSession, events: Sequence[ProjectUpdated], now: datetime) -> list[Outcome]:
    event_ids = [str(e.event_id) for e in events]  # a UUID's text is built anew each time it is asked for
    first = await take_unprocessed(session, processed_events, event_ids, now)
    fresh = [(event, event_id) for event, event_id, new in zip(events, event_ids, first, strict=True) if new]
    ids = await load_identities(session, [event for event, _ in fresh])
    resolved = [await resolve(session, ids, event) for event, _ in fresh]
    # A project new in this batch and updated again later in it is not in the database yet: nothing to read.
    created = {r.project_id for r in resolved if r.is_new}
    loaded = await _load(session, {r.project_id for r in resolved if not r.is_new} - created, ids.rows)
    writes = BatchWrites()
    unchanged: set[str] = set()
    for (event, event_id), where in zip(fresh, resolved, strict=False):
        project = loaded.setdefault(where.project_id, _Project(None, event.county_code, None, {}, 0))
        project.code = project.code or event.update.project_code
        merged, changes = domain.merge(project.state, event.update, event_id, event.occurred_at)
        if not changes and not where.is_new:
            unchanged.add(event_id)
            if merged == project.state:
                continue
            # Same values, newer stamps: kept (or an older record arriving later would win), as a version of its
            # own, so the version guard covers this write like any other.
        project.state, project.version = merged, project.version + 1
        writes.logs += _log_rows(where, event, event_id, changes, project.version, now)
        writes.stages += _stage_rows(where.project_id, event, event_id, changes, now)
        changed = _state_changed(event, where.project_id, project, changes, now)
        writes.events.append(outbox_row(changed, subjects.project_changed(event.county_code), now))
    _project_rows(loaded, now, writes)
    await write(session, writes)
    await insert_aliases(session, [r.new_alias for r in resolved if r.new_alias])  # after their projects (foreign key)
    return [Outcome.duplicate if not new else Outcome.unchanged if event_id in unchanged else Outcome.changed
            for event_id, new in zip(event_ids, first, strict=True)]


async def _load(session: AsyncSession, project_ids: set[str], read: dict[str, RowMapping]) -> dict[str, _Project]:
    """The batch's known projects: those `read` already (found by code), the others (found by local id) read now."""
    rows = [read[pid] for pid in project_ids if pid in read]
    if unread := project_ids - read.keys():
        rows += (await session.execute(BY_IDS, {"ids": list(unread)})).mappings().all()
    return {
        row["project_id"]: _Project(dict(row), row["county_code"], row["project_code"], domain.decode_state(row["state"]), row["version"])
        for row in rows
    }


def _project_rows(loaded: dict[str, _Project], now: datetime, writes: BatchWrites) -> None:
    for project_id, project in sorted(loaded.items()):  # rows locked in one order: replicas wait, never deadlock
        values = {"name": domain.value_of(project.state, "name"), "stage": domain.value_of(project.state, "stage"),
                  "version": project.version, "state": domain.encode_state(project.state), "updated_at": now}
        if project.row is None:
            writes.created.append({"project_id": project_id, "county_code": project.county_code, "project_code": project.code,
                                   "created_at": now, **values})
        elif project.version != project.row["version"]:
            writes.changed.append({"pid": project_id, "seen_version": project.row["version"], **values})


def _log_rows(where: Resolved, event: ProjectUpdated, event_id: str, changes: list[domain.Change], version: int,
              now: datetime) -> list[dict[str, Any]]:
    corrects = sorted({c.corrects for c in changes if c.corrects})
    return [{
        "project_id": where.project_id, "version": version,
        "changes": [{"path": c.path, "old": c.old, "new": c.new, **({"corrects": c.corrects} if c.corrects else {})} for c in changes],
        "source_system": event.update.source_system, "source_record_id": event.update.source_record_id,
        "source_record_time": event.update.source_record_time, "event_id": event_id, "note": where.note, "recorded_at": now,
        "received_via": event.received_via, "submitted_by": event.submitted_by, "corrects": corrects or None,
    }]


def _stage_rows(project_id: str, event: ProjectUpdated, event_id: str, changes: list[domain.Change], now: datetime) -> list[dict[str, Any]]:
    return [
        {"project_id": project_id, "from_stage": c.old, "to_stage": c.new, "source_record_time": event.update.source_record_time,
         "event_id": event_id, "recorded_at": now}
        for c in changes if c.path == "stage"
    ]


def _state_changed(event: ProjectUpdated, project_id: str, project: _Project, changes: list[domain.Change], now: datetime) -> ProjectStateChanged:
    facts = domain.unflatten(project.state)
    aliases = sorted({event.update.local_id} - {None}) if event.update.local_id else []
    snapshot = ProjectSnapshot.model_validate({
        **facts, "project_id": project_id, "project_code": project.code,
        "local_ids": aliases, "last_source_record_time": domain.latest_record_time(project.state),
    })
    previous_stage = next((c.old for c in changes if c.path == "stage"), None)
    return ProjectStateChanged(
        event_id=uuid.uuid5(STATE_CHANGED_NAMESPACE, f"{event.event_id}|{project_id}"),
        occurred_at=now, county_code=event.county_code, correlation_id=event.correlation_id,
        project_id=uuid.UUID(project_id), version=project.version, changed_fields=tuple(c.path for c in changes),
        previous_stage=previous_stage, snapshot=snapshot, caused_by=event.event_id, source_system=event.update.source_system,
        source_record_time=event.update.source_record_time,
    )
