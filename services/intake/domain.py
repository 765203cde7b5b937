"""Pure intake rules: triage of a county batch, deterministic event ids, per-item results."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID, uuid5
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from shared.contracts import ProjectUpdate, ProjectUpdated

# Fixed forever: changing it would give every re-posted record a new id and defeat deduplication.
NAMESPACE = UUID("6f1d3c2a-8e4b-5a7c-9d10-2b3c4d5e6f70")
MAX_BATCH = 5000


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str


@dataclass(frozen=True)
class Accepted:
    index: int
    event_id: UUID
    status: Literal["accepted"] = "accepted"


@dataclass(frozen=True)
class Rejected:
    index: int
    errors: tuple[FieldError, ...]
    status: Literal["rejected"] = "rejected"


ItemResult = Accepted | Rejected


@dataclass(frozen=True)
class Triage:
    """A batch split into events to publish and items to quarantine, each with its position."""

    events: tuple[tuple[int, ProjectUpdated], ...] = ()
    rejected: tuple[tuple[int, Any, Rejected], ...] = ()

    def results(self) -> list[ItemResult]:
        accepted = [Accepted(index, event.event_id) for index, event in self.events]
        rejected = [result for _, _, result in self.rejected]
        return sorted([*accepted, *rejected], key=lambda result: result.index)


@dataclass(frozen=True)
class Origin:
    """Which upload or call brought a record, and who sent it: shown in the project's history."""

    via: str | None = None
    submitted_by: str | None = None


RECORD_KEY = {"source_system", "source_record_id", "source_record_time"}


def content_digest(update: ProjectUpdate) -> str:
    """sha256 of what the record says, as validated (normalised JSON, keys sorted): equal content, equal digest.
    The record's identity is left out: it is in the id's key already, and `09:00+08:00` is `01:00Z`."""
    data = update.model_dump(mode="json", exclude_none=True, exclude=RECORD_KEY)
    return hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


def event_id_for(county_code: str, update: ProjectUpdate) -> UUID:
    """The same record, posted again, always gets the same id (JetStream and tracker drop the copy); a corrected
    record (same source record and time, other content) gets a new one, so the correction is never dropped."""
    key = (f"{county_code}|{update.source_system}|{update.source_record_id}|{update.source_record_time.isoformat()}"
           f"|{content_digest(update)}")
    return uuid5(NAMESPACE, key)


def field_errors(error: ValidationError) -> tuple[FieldError, ...]:
    """Pydantic's errors as `{field, message}`, the message in Chinese (field label, what is expected) then
    English; errors about the item as a whole are on "item"."""
    from services.intake.messages import rejection  # pure wording; imported here like validation below

    return tuple(
        FieldError(".".join(str(part) for part in detail["loc"]) or "item",
                   rejection(detail["loc"], detail["type"], detail["msg"], detail.get("ctx")))
        for detail in error.errors(include_url=False, include_input=False)
    )


def build_event(county_code: str, update: ProjectUpdate, now: datetime, origin: Origin = Origin()) -> ProjectUpdated:
    event_id = event_id_for(county_code, update)
    return ProjectUpdated(
        event_id=event_id, occurred_at=now, county_code=county_code, correlation_id=str(event_id), update=update,
        received_via=origin.via, submitted_by=origin.submitted_by,
    )


def triage(county_code: str, items: Sequence[Any], now: datetime, origin: Origin = Origin()) -> Triage:
    """Validate every item on its own: an invalid item never blocks a valid one."""
    from services.intake.validation import check  # here, not on top: validation imports FieldError from us

    today = now.astimezone(ZoneInfo("Asia/Shanghai")).date()  # rules use Beijing dates
    events: list[tuple[int, ProjectUpdated]] = []
    rejected: list[tuple[int, Any, Rejected]] = []
    for index, item in enumerate(items):
        try:
            update = ProjectUpdate.model_validate(item)
        except ValidationError as error:
            rejected.append((index, item, Rejected(index, field_errors(error))))
            continue
        if semantic := check(county_code, update, today):
            rejected.append((index, item, Rejected(index, semantic)))
            continue
        events.append((index, build_event(county_code, update, now, origin)))
    return Triage(tuple(events), tuple(rejected))
