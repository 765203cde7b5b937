"""Use-case: turn escalation, case and bulletin events into planned deliveries, once per (event, recipient, channel).

A case step with no recipients (e.g. a 签收 nobody needs to hear of) is recorded as processed and plans nothing.
Given the delivery worker, the rows are planned already claimed for it and handed to it once committed, so it
sends them without claiming them again (see DeliveryWorker.claim_planned).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.notifier.delivery import DeliveryWorker
from services.notifier.domain import Routing, delivery_key, plan_deliveries
from services.notifier.rendering import NotifiedEvent, about_id
from services.notifier.tables import deliveries, delivery_events, processed_events
from shared.json_text import model_json
from shared.persistence import as_arrays, insert_from_arrays, insert_ignoring_conflicts, take_unprocessed

RoutingFor = Callable[[str], Routing]
PLANNED = ("delivery_key", "county_code", "escalation_event_id", "escalation_id", "event", "recipient", "person", "channel",
           "address", "fallback", "status", "attempts", "next_attempt_at", "created_at", "claimed_by", "claimed_until")
BODY = ("event_id", "event", "created_at")
# PostgreSQL: both INSERTs in one statement, from an array per column (a statement each cost a round trip).
_BODIES = insert_from_arrays(delivery_events, BODY).on_conflict_do_nothing(index_elements=["event_id"]).cte("bodies")
PLAN_AT_ONCE = insert_from_arrays(deliveries, PLANNED).on_conflict_do_nothing(index_elements=["delivery_key"]).add_cte(_BODIES)


@dataclass(frozen=True)
class Planned:
    deliveries: int
    routing_gaps: int


async def plan(sessions: async_sessionmaker, events: Sequence[NotifiedEvent], routing_for: RoutingFor, now: datetime,
               worker: DeliveryWorker | None = None) -> list[Planned]:
    claim = worker.claim_planned(now) if worker else None
    async with sessions() as session, session.begin():
        event_ids = [str(e.event_id) for e in events]  # a UUID's text is built anew each time it is asked for
        first = await take_unprocessed(session, processed_events, event_ids, now)
        rows, bodies, results = [], [], []
        handed: list[dict] = []  # the rows claimed for the worker, each with its event
        for event, event_id, new in zip(events, event_ids, first, strict=True):
            if not new:  # processed before, or twice in this batch: planned once
                results.append(Planned(0, 0))
                continue
            planned = plan_deliveries(event.recipients, routing_for(event.county_code))
            about = about_id(event)
            if planned.deliveries:  # the body once per event, not per recipient
                bodies.append({"event_id": event_id, "event": model_json(event), "created_at": now})
            for item in planned.deliveries:
                mine = claim is not None and len(handed) < claim.room
                row = {
                    "delivery_key": delivery_key(event.event_id, item.recipient, item.endpoint.channel, item.endpoint.address),
                    "county_code": event.county_code, "escalation_event_id": event_id,
                    "escalation_id": about, "event": None,
                    "recipient": item.recipient.model_dump(mode="json"), "person": item.person.name,
                    "channel": item.endpoint.channel, "address": item.endpoint.address, "fallback": int(item.fallback),
                    "status": "pending", "attempts": 0, "next_attempt_at": now, "created_at": now,
                    "claimed_by": claim.replica if mine else None, "claimed_until": claim.until if mine else None,
                }
                rows.append(row)
                if mine:
                    handed.append({**row, "parsed_event": event})
            results.append(Planned(len(planned.deliveries), len(planned.routing_gaps)))
        if rows:  # a row or a body stored before stays as it is (not a read and a write)
            await _store(session, bodies, rows)
    if worker and handed:  # committed: every row is new (its event was), so the claim is ours alone
        worker.hand_over(handed)
    return results


async def _store(session: AsyncSession, bodies: list[dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    if session.bind.dialect.name == "postgresql":
        await session.execute(PLAN_AT_ONCE, {**as_arrays(delivery_events, BODY, bodies), **as_arrays(deliveries, PLANNED, rows)})
        return
    await session.execute(insert_ignoring_conflicts(session, delivery_events, ["event_id"]), bodies)
    await session.execute(insert_ignoring_conflicts(session, deliveries, ["delivery_key"]), rows)
