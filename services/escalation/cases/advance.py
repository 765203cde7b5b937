"""The case clocks, advanced by the sweep: a missed deadline climbs the case one level (at most once a day)."""
from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.escalation.cases import lifecycle
from services.escalation.cases.climbing import climb_missed
from services.escalation.cases.policy import CasePolicyFor, configured
from services.escalation.cases.rows import from_row
from services.escalation.domain.policy import Policy
from services.escalation.tables import cases, escalations
from shared.contracts.base import Event
from shared.contracts.case import FINISHED_STATES
from shared.db import lock_for_writing

PolicyFor = Callable[[str], Policy]


async def advance_cases(session: AsyncSession, county_code: str | None, as_of: date, now: datetime, *,
                        policy_for: PolicyFor | None = None, case_policy_for: CasePolicyFor | None = None,
                        after: str = "", limit: int | None = None, only: Sequence[str] | None = None) -> list[Event]:
    """Climb every open case whose deadline passed before `as_of`, in the caller's transaction.

    Cases are taken in case-id order after `after` (at most `limit` of them), so a caller can chunk;
    `only` limits them to the given ids (the sweep's due cases).
    Running it again for the same day finds nothing to do: each climb starts the new level's clocks today.
    """
    case_policy_for = case_policy_for or configured()
    query = (select(cases).where(cases.c.state.not_in(FINISHED_STATES), cases.c.case_id > after, cases.c.paused_since.is_(None))
             .order_by(cases.c.case_id))
    if county_code:
        query = query.where(cases.c.county_code == county_code)
    if limit:
        query = query.limit(limit)
    if only is not None:
        query = query.where(cases.c.case_id.in_(only))
    rows = [dict(r) for r in (await session.execute(query.with_for_update())).mappings()]
    if not rows:
        return []
    found = await session.execute(select(escalations).where(escalations.c.escalation_id.in_([r["escalation_id"] for r in rows])))
    by_id: dict[str, Any] = {e["escalation_id"]: dict(e) for e in found.mappings()}
    missed = []
    for row in rows:
        escalation = by_id.get(row["escalation_id"])
        case = from_row(row)
        reason = lifecycle.missed(case, as_of, condition_holds=bool(escalation and escalation["status"] == "open"))
        if reason is not None:
            missed.append((row, case, reason, escalation))
    steps = await climb_missed(session, missed, policy_for or (lambda _county: Policy()), case_policy_for, as_of, now)
    return [step.event for step in steps]


async def advance_all_cases(sessions: async_sessionmaker, county_code: str | None, as_of: date, now: datetime, *,
                            policy_for: PolicyFor | None = None, case_policy_for: CasePolicyFor | None = None,
                            chunk: int = 500, lock: Any = None) -> int:
    """advance_cases over the cases whose clock_due has come, one transaction per chunk (the sweep's `lock` held per
    chunk, like its projects); a case whose day has not come is not read. Returns how many climbed: their events are
    in the outbox, and a day on which an import's cases all fall due would otherwise hold every one in memory."""
    climbed = 0
    last: tuple[date, str] = (date.min, "")
    while True:
        async with lock or contextlib.nullcontext(), sessions() as session, session.begin():
            await lock_for_writing(session)
            due = (await session.execute(
                select(cases.c.clock_due, cases.c.case_id).where(cases.c.clock_due <= as_of, tuple_(cases.c.clock_due, cases.c.case_id) > last)
                .where(*([cases.c.county_code == county_code] if county_code else [])).order_by(cases.c.clock_due, cases.c.case_id)
                .limit(chunk)
            )).all()
            if not due:
                return climbed
            climbed += len(await advance_cases(session, county_code, as_of, now, policy_for=policy_for, case_policy_for=case_policy_for,
                                              only=[case_id for _, case_id in due]))
            last = tuple(due[-1])
