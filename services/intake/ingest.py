"""One county batch, whichever door it came through (HTTP or the bus): triage → publish → quarantine.

Both doors call `Ingest`, so a batch is judged, published and quarantined the same way; only the
authentication (bearer token vs. NATS account) and the way the answer travels differ.
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

from prometheus_client import Counter
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.intake import quarantine
from services.intake.domain import MAX_BATCH, Accepted, Origin, Rejected, triage
from services.intake.publishing import Publisher
from shared.clock import Clock

RETRY_AFTER_SECONDS = 5
# A real update nests six levels deep (batch → item → parcel → delays → delay → field); deeper is not an update,
# and far deeper would exhaust the parser's or the quarantine's recursion.
MAX_DEPTH = 32
DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024  # 5,000 updates of ~1 KB each, with room; INTAKE_MAX_BODY_BYTES


class BatchResult(BaseModel):
    batch_id: UUID
    accepted: int = Field(description="items published to JetStream and acknowledged")
    rejected: int = Field(description="items that failed validation; quarantined")
    results: list[Accepted | Rejected] = Field(description="one per posted item, in order")


class BatchRefused(Exception):
    """The body is not a batch at all (not a list, empty, too long): nothing is judged or kept."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether lists and objects nest deeper than `limit`; iterative, so any depth is safe to ask about."""
    pending = [(value, 1)]
    while pending:
        current, depth = pending.pop()
        children = current.values() if isinstance(current, dict) else current if isinstance(current, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


def parse_batch(data: bytes, max_bytes: int) -> list[Any]:
    """The body of a batch, as both doors accept it; BatchRefused (413, 422) says why not, never a crash."""
    if len(data) > max_bytes:
        raise BatchRefused(413, f"a batch may be at most {max_bytes // 1024 // 1024} MB / 批量数据过大，最多 {max_bytes // 1024 // 1024} MB")
    deep = BatchRefused(422, f"the body nests deeper than {MAX_DEPTH} levels / JSON 嵌套层数超过 {MAX_DEPTH} 层")
    try:
        body = json.loads(data)
    except ValueError as error:  # JSONDecodeError and UnicodeDecodeError
        raise BatchRefused(422, f"the body is not JSON: {error} / 请求内容不是有效的 JSON") from None
    except RecursionError:
        raise deep from None
    if too_deep(body):
        raise deep
    return check_batch(body)


def check_batch(body: Any) -> list[Any]:
    """The batch shape the HTTP API accepts: a non-empty JSON list of at most MAX_BATCH items."""
    if not isinstance(body, list):
        raise BatchRefused(422, "the body must be a JSON list of updates")
    if not body:
        raise BatchRefused(422, "the batch is empty")
    if len(body) > MAX_BATCH:
        raise BatchRefused(413, f"a batch holds at most {MAX_BATCH} updates; this one has {len(body)}")
    return body


@dataclass(frozen=True)
class Ingest:
    publisher: Publisher
    sessions: async_sessionmaker
    clock: Clock
    updates_total: Counter | None = None  # labels (county, outcome)

    async def __call__(self, county_code: str, items: Sequence[Any], submitted_by: str | None = None, door: str = "HTTP") -> BatchResult:
        """Raises PublishFailed when JetStream did not store every valid item: then nothing is accepted."""
        now, batch_id = self.clock.now(), uuid4()
        split = triage(county_code, items, now, Origin(f"{door} batch {batch_id}", submitted_by))
        await self.publisher.publish([event for _, event in split.events])
        # After the publish: a batch refused for want of acks is sent again, and would be quarantined twice.
        await quarantine.keep(self.sessions, county_code, batch_id, now, split.rejected)
        if self.updates_total is not None:
            self.updates_total.labels(county_code, "accepted").inc(len(split.events))
            self.updates_total.labels(county_code, "rejected").inc(len(split.rejected))
        return BatchResult(batch_id=batch_id, accepted=len(split.events), rejected=len(split.rejected), results=split.results())
