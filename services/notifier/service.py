"""Use-case: turn escalation, case and bulletin events into planned deliveries, once per (event, recipient, channel).

A case step with no recipients (e.g. a 签收 nobody needs to hear of) is recorded as processed and plans nothing.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.notifier.domain import Routing, delivery_key, plan_deliveries
from services.notifier.rendering import NotifiedEvent, about_id
from services.notifier.tables import deliveries, delivery_events, processed_events
from shared.persistence import take_unprocessed

RoutingFor = Callable[[str], Routing]


@dataclass(frozen=True)
class Planned:
    deliveries: int
    routing_gaps: int


async def plan(sessions: async_sessionmaker, events: Sequence[NotifiedEvent], routing_for: RoutingFor, now: datetime) -> list[Planned]:
    async with sessions() as session, session.begin():
        first = await take_unprocessed(session, processed_events, [str(e.event_id) for e in events], now)
        rows, bodies, results = [], [], []
        for event, new in zip(events, first, strict=True):
            if not new:  # processed before, or twice in this batch: planned once
                results.append(Planned(0, 0))
                continue
            planned = plan_deliveries(event.recipients, routing_for(event.county_code))
            about = about_id(event)
            if planned.deliveries:  # the body once per event, not per recipient
                bodies.append({"event_id": str(event.event_id), "event": event.model_dump(mode="json"), "created_at": now})
            for item in planned.deliveries:
                rows.append({
                    "delivery_key": delivery_key(event.event_id, item.recipient, item.endpoint.channel, item.endpoint.address),
                    "county_code": event.county_code, "escalation_event_id": str(event.event_id),
                    "escalation_id": about, "event": None,
                    "recipient": item.recipient.model_dump(mode="json"), "person": item.person.name,
                    "channel": item.endpoint.channel, "address": item.endpoint.address, "fallback": int(item.fallback),
                    "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now,
                })
            results.append(Planned(len(planned.deliveries), len(planned.routing_gaps)))
        keys = [row["delivery_key"] for row in rows]
        existing = set((await session.execute(select(deliveries.c.delivery_key).where(deliveries.c.delivery_key.in_(keys)))).scalars()) if keys else set()
        new_rows = list({row["delivery_key"]: row for row in rows if row["delivery_key"] not in existing}.values())
        if new_rows:
            planned_ids = {row["escalation_event_id"] for row in new_rows}
            stored = set((await session.execute(select(delivery_events.c.event_id).where(
                delivery_events.c.event_id.in_(planned_ids)))).scalars())
            await session.execute(insert(delivery_events), [b for b in bodies if b["event_id"] in planned_ids - stored])
            await session.execute(insert(deliveries), new_rows)
    return results
