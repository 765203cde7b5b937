"""Realistic updates and events for tests."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from shared.contracts import ProjectUpdate, ProjectUpdated

COUNTY = "330106"
CODE = "2403-330106-04-01-123456"


def update(record_time: datetime | None = None, record_id: str = "r-1", **facts: Any) -> ProjectUpdate:
    facts.setdefault("project_code", CODE)
    return ProjectUpdate.model_validate({
        "source_system": "发改局项目库",
        "source_record_id": record_id,
        "source_record_time": record_time or datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
        **facts,
    })


def updated(item: ProjectUpdate, county: str = COUNTY, event_id: uuid.UUID | None = None) -> ProjectUpdated:
    event_id = event_id or uuid.uuid5(uuid.NAMESPACE_URL, f"{county}|{item.source_system}|{item.source_record_id}|{item.source_record_time.isoformat()}")
    return ProjectUpdated(
        event_id=event_id, occurred_at=datetime.now(UTC), county_code=county,
        correlation_id=str(event_id), update=item,
    )
