"""BulletinPublished → the bulletins list (the documents themselves stay with escalation)."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import async_sessionmaker

from services.console.projection.common import unseen
from services.console.tables import bulletins
from shared.contracts import BulletinPublished


async def apply_bulletins(sessions: async_sessionmaker, events: Sequence[BulletinPublished], now: datetime) -> int:
    async with sessions() as session, session.begin():
        fresh = await unseen(session, events, now)
        rows = {str(e.bulletin_id): {"bulletin_id": str(e.bulletin_id), "county_code": e.county_code, "month": e.month,
                                      "title": e.title, "headline": dict(e.headline), "links": dict(e.links),
                                      "published_at": e.occurred_at} for e in fresh}
        if rows:
            existing = {r[0] for r in await session.execute(bulletins.select().with_only_columns(bulletins.c.bulletin_id)
                                                            .where(bulletins.c.bulletin_id.in_(list(rows))))}
            new = [row for bid, row in rows.items() if bid not in existing]
            if new:
                await session.execute(bulletins.insert(), new)
        return len(fresh)
