"""The clock of problems and assignments: in the daily sweep, after the case ladder, whatever missed its deadline climbs."""
from __future__ import annotations

import contextlib
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation.problems.meetings import climb_late_assignments
from services.escalation.problems.policy import ProblemPolicyFor, configured
from services.escalation.problems.work import PolicyFor, climb_late
from shared.contracts.base import Event
from shared.db import lock_for_writing


async def advance_coordination(sessions: async_sessionmaker, county_code: str | None, policy_for: PolicyFor, as_of: date, now: datetime,
                               problem_policy_for: ProblemPolicyFor | None = None, lock: Any = None) -> list[Event]:
    """One transaction: few problems are late on any day, and a climb a day is the most any of them makes."""
    policies = problem_policy_for or configured()
    async with lock or contextlib.nullcontext(), sessions() as session, session.begin():
        await lock_for_writing(session)
        events: list[Event] = [*await climb_late(session, county_code, policy_for, policies, as_of, now)]
        events += await climb_late_assignments(session, county_code, policy_for, policies, as_of, now)
    return events
