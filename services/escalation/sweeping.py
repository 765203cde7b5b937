"""The clock's use-case: evaluate the projects (and climb the cases) whose day has come.

Each evaluation stores the project's next_due (domain/due.py); a daily sweep reads only the rows with
next_due <= today, through its index. What the due days were computed on (the county's policy, the
rule versions, the holiday calendar) is its basis: when that changes, the county is re-evaluated in
full first, chunk by chunk, remembering how far it got (evaluation_basis), so a restart resumes.
"""
from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import chinese_calendar
from sqlalchemy import func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.escalation.cases.advance import advance_all_cases
from services.escalation.domain.ladder import Decision
from services.escalation.domain.rules import RULES
from services.escalation.evaluation import PolicyFor, evaluate, evaluate_stored
from services.escalation.problems.clock import advance_coordination
from services.escalation.problems.policy import ProblemPolicyFor
from services.escalation.records import open_records
from services.escalation.tables import evaluation_basis, project_facts
from shared.contracts.base import Event
from shared.db import lock_for_writing

Recorded = Callable[[list[Event]], None]  # told of the escalation events a committed transaction recorded
Progress = Callable[[int, int], None]  # (projects re-evaluated in this chunk, projects still to do)
RULEBOOK = ",".join(f"{rule.rule_id}:{rule.version}" for rule in RULES)


@dataclass
class SweepReport:
    as_of: date
    projects: int = 0
    events: int = 0
    case_events: int = 0
    coordination_events: int = 0
    reevaluated: int = 0
    planned: list[tuple[dict[str, Any], Decision]] = field(default_factory=list)


def basis_of(policy_digest: str) -> str:
    """What a county's due days rest on: a new policy, rule version or holiday calendar makes them all suspect."""
    return hashlib.sha256(f"{policy_digest}|{RULEBOOK}|chinesecalendar {chinese_calendar.__version__}".encode()).hexdigest()


async def sweep(sessions: async_sessionmaker, policy_for: PolicyFor, as_of: date, now: datetime,
                county_code: str | None = None, dry_run: bool = False, chunk: int = 1000,
                lock: Any = None, on_recorded: Recorded | None = None, on_progress: Progress | None = None,
                problem_policy_for: ProblemPolicyFor | None = None) -> SweepReport:
    """Evaluate what is due as of a date: land becomes idle with no event at all.

    A dry run (the CLI's what-if, possibly for a past day) evaluates every project and writes nothing.
    `lock` is held per chunk, so the change handler of the same process interleaves with a long sweep
    instead of racing it for the same escalation rows.
    """
    report = SweepReport(as_of)
    if dry_run:
        await _plan_all(sessions, policy_for, as_of, county_code, chunk, report)
        return report
    report.reevaluated, report.events = await reevaluate_changed(sessions, policy_for, as_of, now, county_code, chunk, lock, on_recorded,
                                                                 on_progress)
    report.projects = report.reevaluated
    last: tuple[date, str] = (date.min, "")
    while True:
        recorded: list[Event] = []
        async with lock or contextlib.nullcontext(), sessions() as session, session.begin():
            await lock_for_writing(session)
            query = (select(project_facts).where(project_facts.c.next_due <= as_of,
                                                 tuple_(project_facts.c.next_due, project_facts.c.project_id) > last)
                     .order_by(project_facts.c.next_due, project_facts.c.project_id).limit(chunk))
            if county_code:
                query = query.where(project_facts.c.county_code == county_code)
            rows = [dict(r) for r in (await session.execute(query)).mappings()]
            if not rows:
                break
            last = (rows[-1]["next_due"], rows[-1]["project_id"])
            report.projects += len(rows)
            recorded = await evaluate_stored(session, rows, policy_for, as_of, now)
            report.events += len(recorded)
        if on_recorded and recorded:
            on_recorded(recorded)
    # The case clocks: missed deadlines climb the ladder (their own transactions, chunked, only cases whose day came).
    report.case_events = await advance_all_cases(sessions, county_code, as_of, now, policy_for=policy_for, chunk=chunk, lock=lock)
    # Problems and meetings' assignments past their deadlines climb too (problems/clock.py).
    report.coordination_events = len(await advance_coordination(sessions, county_code, policy_for, as_of, now, problem_policy_for, lock))
    return report


async def _plan_all(sessions: async_sessionmaker, policy_for: PolicyFor, as_of: date, county_code: str | None, chunk: int,
                    report: SweepReport) -> None:
    after = ""
    while True:
        async with sessions() as session:
            query = select(project_facts).where(project_facts.c.project_id > after).order_by(project_facts.c.project_id).limit(chunk)
            if county_code:
                query = query.where(project_facts.c.county_code == county_code)
            rows = [dict(r) for r in (await session.execute(query)).mappings()]
            if not rows:
                return
            after = rows[-1]["project_id"]
            report.projects += len(rows)
            open_by_project = await open_records(session, [r["project_id"] for r in rows])
            report.planned += [(e.project, d) for e in evaluate(rows, open_by_project, policy_for, as_of) for d in e.decisions]


async def reevaluate_changed(sessions: async_sessionmaker, policy_for: PolicyFor, as_of: date, now: datetime,
                             county_code: str | None = None, chunk: int = 1000, lock: Any = None,
                             on_recorded: Recorded | None = None, on_progress: Progress | None = None) -> tuple[int, int]:
    """Re-evaluate, in full, every county whose basis changed (or was never recorded): (projects, events) done."""
    async with sessions() as session:
        counties = list((await session.execute(
            select(project_facts.c.county_code).distinct().where(*([project_facts.c.county_code == county_code] if county_code else []))
        )).scalars())
        stored = {row.county_code: row for row in await session.execute(select(evaluation_basis))}
    done = events = 0
    for county in sorted(counties):
        digest = basis_of(policy_for(county).digest())
        row = stored.get(county)
        if row is not None and row.digest == digest and row.done:
            continue
        after = row.after if row is not None and row.digest == digest else ""
        projects, recorded = await _reevaluate_county(sessions, policy_for, county, digest, after, as_of, now, chunk, lock, on_recorded,
                                                      on_progress)
        done, events = done + projects, events + recorded
    return done, events


async def _reevaluate_county(sessions: async_sessionmaker, policy_for: PolicyFor, county: str, digest: str, after: str, as_of: date,
                             now: datetime, chunk: int, lock: Any, on_recorded: Recorded | None,
                             on_progress: Progress | None) -> tuple[int, int]:
    in_county = project_facts.c.county_code == county
    async with sessions() as session:
        remaining = await session.scalar(select(func.count()).select_from(project_facts).where(in_county, project_facts.c.project_id > after))
    done = events = 0
    while True:
        async with lock or contextlib.nullcontext(), sessions() as session, session.begin():
            await lock_for_writing(session)
            rows = [dict(r) for r in (await session.execute(
                select(project_facts).where(in_county, project_facts.c.project_id > after).order_by(project_facts.c.project_id).limit(chunk)
            )).mappings()]
            recorded = await evaluate_stored(session, rows, policy_for, as_of, now) if rows else []
            after = rows[-1]["project_id"] if rows else after
            await _remember(session, county, digest, done=not rows, after=after, now=now)
        done, events = done + len(rows), events + len(recorded)
        remaining = max(0, (remaining or 0) - len(rows))
        if on_progress:
            on_progress(len(rows), remaining)
        if on_recorded and recorded:
            on_recorded(recorded)
        if not rows:
            return done, events


async def _remember(session: AsyncSession, county: str, digest: str, done: bool, after: str, now: datetime) -> None:
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    values = {"county_code": county, "digest": digest, "done": done, "after": after, "updated_at": now}
    await session.execute(dialect.insert(evaluation_basis).values(values)
                          .on_conflict_do_update(index_elements=["county_code"], set_={k: v for k, v in values.items() if k != "county_code"}))
