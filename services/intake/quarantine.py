"""Rejected items kept for audit, as the county sent them (a huge one truncated, with its digest), with the reasons; readable by the county."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.intake.domain import FieldError, Rejected
from services.intake.tables import quarantine

# What is kept of one rejected item: enough to see what was wrong, not a copy of a hostile megabyte.
MAX_KEPT_CHARS = 16 * 1024
HEAD_CHARS = 4 * 1024


def kept_copy(item: Any) -> str:
    """The item as posted (ASCII JSON); a huge one as its digest, size and first characters."""
    # ASCII escapes: a lone surrogate in a bad item must be kept, and no database stores it raw.
    text = json.dumps(item, ensure_ascii=True)
    if len(text) <= MAX_KEPT_CHARS:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()
    return json.dumps({"truncated": True, "sha256": digest, "chars": len(text), "head": text[:HEAD_CHARS]})


@dataclass(frozen=True)
class QuarantinedItem:
    id: int
    batch_id: UUID
    index: int
    received_at: datetime
    item: Any
    errors: tuple[FieldError, ...]


async def keep(
    sessions: async_sessionmaker,
    county_code: str,
    batch_id: UUID,
    received_at: datetime,
    rejected: Sequence[tuple[int, Any, Rejected]],
) -> None:
    if not rejected:
        return
    rows = [
        {
            "county_code": county_code,
            "received_at": received_at,
            "batch_id": str(batch_id),
            "item_index": index,
            "raw_item": kept_copy(item),
            "errors": [asdict(error) for error in result.errors],
        }
        for index, item, result in rejected
    ]
    async with sessions() as session, session.begin():
        await session.execute(insert(quarantine), rows)


async def count(sessions: async_sessionmaker, county_code: str) -> int:
    async with sessions() as session:
        query = select(func.count()).select_from(quarantine).where(quarantine.c.county_code == county_code)
        return (await session.execute(query)).scalar_one()


async def newest(sessions: async_sessionmaker, county_code: str, limit: int = 100, offset: int = 0) -> list[QuarantinedItem]:
    """The county's rejected items, newest first."""
    query = (
        select(quarantine)
        .where(quarantine.c.county_code == county_code)
        .order_by(quarantine.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    async with sessions() as session:
        rows = (await session.execute(query)).all()
    return [
        QuarantinedItem(
            id=row.id,
            batch_id=UUID(row.batch_id),
            index=row.item_index,
            received_at=row.received_at,
            item=json.loads(row.raw_item),
            errors=tuple(FieldError(**error) for error in row.errors),
        )
        for row in rows
    ]
