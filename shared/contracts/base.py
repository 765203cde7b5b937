"""The envelope every event carries: a stable id, its time, its county and its correlation."""
from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.types import CountyCode, UtcDatetime


class Contract(BaseModel):
    """Frozen, strict about unknown fields: a typo in a feed is an error, not a silent drop."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Event(Contract):
    SCHEMA_VERSION: ClassVar[int] = 1

    event_id: UUID = Field(description="stable id; the same fact always carries the same id")
    occurred_at: UtcDatetime
    county_code: CountyCode
    correlation_id: str = Field(min_length=1, max_length=100, description="ties every event of one county record together")
    schema_version: int = 1
