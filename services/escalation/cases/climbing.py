"""Climbs up the ladder, written: the letter at L2, the evidence pack at L5, the new level's audience told. One case at a
time (a meeting's decision), or every case that missed its deadline on a day at once (the sweep); rules rising together
climb theirs in hooks.follow_escalations."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.cases import lifecycle
from services.escalation.cases.evidence import Records, evidence_pack, records_of
from services.escalation.cases.ladder import TOP
from services.escalation.cases.letter_numbers import Numbering
from services.escalation.cases.lifecycle import Case
from services.escalation.cases.policy import CasePolicy, CasePolicyFor
from services.escalation.cases.rows import letter_json
from services.escalation.cases.store import (
    Actor,
    Context,
    Step,
    context_from,
    draft_of,
    handlers_of,
    letter_department,
    letter_draft,
    record,
    record_stored,
    snapshots_of,
    step_of,
)
from services.escalation.domain.policy import Policy
from shared.contracts.case import CaseAction, CaseChanged

Missed = tuple[dict[str, Any], Case, str, dict[str, Any] | None]  # the case's row, the case, why it climbs, its escalation


async def climb_case(session: AsyncSession, ctx: Context, version: int, case: Case, to_level: int, reason: str,
                     escalation: dict[str, Any] | None, case_policy: CasePolicy, as_of: date, now: datetime,
                     actor: Actor | None = None) -> CaseChanged:
    draft = await letter_draft(session, ctx.county_code, ctx.case_id, as_of, ctx.parties, case_policy,
                               numbered=case.letter is None and to_level >= 2)
    climbed = lifecycle.climb(case, to_level, as_of, ctx.parties, case_policy, draft)
    records = await records_of(session, [(ctx.case_id, ctx.escalation_id)] if to_level == TOP else [])
    details = climb_details(ctx, case, climbed, to_level, reason, escalation, as_of, records)
    return await record(session, ctx, version, case, climbed, CaseAction.climbed, actor, reason, details, as_of, now, step=f"L{to_level}")


async def climb_missed(session: AsyncSession, missed: Sequence[Missed], policy_for: Callable[[str], Policy],
                       case_policy_for: CasePolicyFor, as_of: date, now: datetime) -> list[Step]:
    """climb_case, one level up, for every case that missed its deadline, in the caller's transaction (the cases read
    FOR UPDATE): a fixed number of statements for the lot, evidence packs included. Cases opened together by an import
    miss their deadlines together: one at a time, 57,582 of them took 155 s on PostgreSQL (2.7 ms each)."""
    if not missed:
        return []
    snapshots = await snapshots_of(session, sorted({row["project_id"] for row, *_ in missed}))
    handlers = await handlers_of(session, sorted({row["county_code"] for row, *_ in missed}))
    numbering = Numbering(session, as_of.year)
    records = await records_of(session, [(row["case_id"], row["escalation_id"]) for row, case, *_ in missed if case.level + 1 == TOP])
    steps = []
    for row, case, reason, escalation in missed:  # in case-id order: letters numbered as one climb after another would be
        county, to_level = row["county_code"], case.level + 1
        case_policy = case_policy_for(county)
        ctx = context_from(row, escalation, snapshots.get(row["project_id"]) or {}, policy_for(county), case_policy)
        handler = handlers.get((county, letter_department(ctx.parties)))
        steps.append(await climb_step(numbering, ctx, row["version"], case, to_level, reason, escalation, handler, case_policy,
                                      records, as_of, now))
    await numbering.record()
    await record_stored(session, steps, now)
    return steps


async def climb_step(numbering: Numbering, ctx: Context, version: int, case: Case, to_level: int, reason: str,
                     escalation: dict[str, Any] | None, handler: str | None, case_policy: CasePolicy, records: Records,
                     as_of: date, now: datetime) -> Step:
    """One climb of many written together: its letter takes the county's next number when it is the case's first."""
    number = await numbering.next(ctx.county_code, case_policy.letter_prefix) if case.letter is None and to_level >= 2 else ""
    climbed = lifecycle.climb(case, to_level, as_of, ctx.parties, case_policy, draft_of(number, ctx.parties, handler))
    details = climb_details(ctx, case, climbed, to_level, reason, escalation, as_of, records)
    return step_of(ctx, version, case, climbed, CaseAction.climbed, None, reason, details, as_of, now, step=f"L{to_level}")


def climb_details(ctx: Context, case: Case, climbed: Case, to_level: int, reason: str, escalation: dict[str, Any] | None,
                  as_of: date, records: Records) -> dict[str, Any]:
    """What a climb's audit row says: why, from where, the letter it issued, and at L5 the evidence pack."""
    details: dict[str, Any] = {"reason": reason, "from_level": case.level, "to_level": to_level,
                               "missed_due": case.due.due.isoformat() if case.due else None}
    if climbed.letter is not None and case.letter is None:
        details["letter"] = letter_json(climbed.letter)
    if to_level == TOP:
        title = ctx.project_name or ctx.project_code or ctx.project_id
        details["evidence_pack"] = evidence_pack(records, ctx.case_id, ctx.escalation_id, climbed, dict(escalation or {}), ctx.parties,
                                                 title, as_of)
    return details
