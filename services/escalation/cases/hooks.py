"""What an escalation's own life does to its case, inside the Recorder's transaction: open, follow a rising rule, note a cleared condition."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.cases import lifecycle
from services.escalation.cases.climbing import climb_case
from services.escalation.cases.ladder import floor_of
from services.escalation.cases.policy import CasePolicyFor, configured
from services.escalation.cases.referrals import referred_to
from services.escalation.cases.rows import from_row
from services.escalation.cases.store import (
    Context,
    case_id_for,
    context_from,
    context_of,
    letter_draft,
    parties_of,
    record,
    record_stored,
    snapshot_of,
    snapshots_of,
    step_of,
)
from services.escalation.domain.findings import Finding
from services.escalation.domain.policy import Policy
from services.escalation.tables import cases, escalations
from shared.contracts.case import CaseAction, CaseChanged, CaseState

CLEARED_NOTE = "条件已消除"
CASES_OF_ESCALATIONS = (select(cases).where(cases.c.escalation_id.in_(bindparam("ids", expanding=True))).order_by(cases.c.case_id)
                        .with_for_update())  # record_stored's version guard holds on PostgreSQL too
WITHDRAWN_NOTE = "条件当日已消除，尚未签收办理，督办单自动撤销"


def colour_of(finding: Finding, policy: Policy) -> str:
    """The colour the case's ladder works by. A red finding referred to an oversight body (移送纪委监委) keeps its case
    with the lead department, at L1, to report and hold construction: the referral is the body's record, and the
    leader in charge is told, not tasked (cases/referrals.py)."""
    if finding.colour == "red" and referred_to(finding, policy):
        return "yellow"
    return finding.colour


async def _stored(session: AsyncSession, escalation_id: str) -> tuple[Any, Any] | None:
    row = (await session.execute(select(cases).where(cases.c.escalation_id == escalation_id))).mappings().first()
    if row is None:
        return None
    escalation = (await session.execute(select(escalations).where(escalations.c.escalation_id == escalation_id))).mappings().first()
    return row, escalation


async def open_for_escalation(session: AsyncSession, escalation_id: str, project: dict[str, Any], policy: Policy, finding: Finding,
                              as_of: date, now: datetime, case_policy_for: CasePolicyFor | None = None) -> CaseChanged | None:
    """A raised escalation opens its case at L1 (yellow, grey) or L2 (red); a case that exists already is left alone.

    A green finding (the L0 reminder: a milestone due within days) tells the responsible unit and opens no case:
    the case opens when the rule rises to yellow or red (follow_escalation)."""
    if colour_of(finding, policy) == "green":
        return None
    case_id = case_id_for(escalation_id)
    if await session.scalar(select(cases.c.case_id).where(cases.c.case_id == case_id)):
        return None
    case_policy = (case_policy_for or configured())(project["county_code"])
    snapshot = await snapshot_of(session, project["project_id"])
    parties = parties_of(snapshot, policy, case_policy, finding.audience, finding.evidence)
    colour = colour_of(finding, policy)
    draft = await letter_draft(session, project["county_code"], case_id, as_of, parties, case_policy, numbered=floor_of(colour) >= 2)
    case = lifecycle.open_case(colour, parties, as_of, case_policy, draft)
    ctx = Context(case_id, escalation_id, project["project_id"], project["county_code"], finding.rule_id, policy.policy_version,
                  project.get("project_code"), project.get("name"), project.get("correlation_id") or project["project_id"], parties)
    details = {"colour": colour, "rule_level": finding.level, "rule_level_name": finding.level_name, "evidence": dict(finding.evidence)}
    return await record(session, ctx, None, None, case, CaseAction.opened, None, finding.summary, details, as_of, now, step=f"L{case.level}")


async def follow_escalation(session: AsyncSession, escalation_id: str, policy: Policy, finding: Finding, as_of: date, now: datetime,
                            case_policy_for: CasePolicyFor | None = None, note: str | None = None) -> CaseChanged | None:
    """The rule's own level rose: the case is lifted to at least the level the finding's colour asks for, never lowered.
    A reminder that became overdue opens its case now."""
    stored = await _stored(session, escalation_id)
    if stored is None:
        row = (await session.execute(select(escalations).where(escalations.c.escalation_id == escalation_id))).mappings().first()
        if row is None:
            return None
        snapshot = await snapshot_of(session, row["project_id"])
        project = {"project_id": row["project_id"], "county_code": row["county_code"], "project_code": snapshot.get("project_code"),
                    "name": snapshot.get("name"), "correlation_id": row["project_id"]}
        return await open_for_escalation(session, escalation_id, project, policy, finding, as_of, now, case_policy_for)
    row, escalation = stored
    case = from_row(row)
    case_policy = (case_policy_for or configured())(row["county_code"])
    ctx = await context_of(session, row, escalation, policy, case_policy)  # the escalation row carries the new level's audience
    to_level = floor_of(colour_of(finding, policy))
    if to_level > case.level:
        return await climb_case(session, ctx, row["version"], case, to_level, f"规则升级：{finding.level_name}", dict(escalation),
                                case_policy, as_of, now)
    draft = await letter_draft(session, row["county_code"], row["case_id"], as_of, ctx.parties, case_policy, numbered=False)
    moved = lifecycle.retarget(case, colour_of(finding, policy), as_of, ctx.parties, case_policy, draft)
    if moved is None:
        return None
    details = {"reason": finding.level_name, "from": {"kind": case.target_kind, "name": case.target_name},
               "to": {"kind": moved.target_kind, "name": moved.target_name},
               "letter_handler": moved.letter.handler_department if moved.letter else None}
    target = moved.letter.handler_department if moved.target_kind != "department" and moved.letter else moved.target_name
    text = (note or f"规则升级：{finding.level_name}，改由{{target}}办理").format(target=target)
    return await record(session, ctx, row["version"], case, moved, CaseAction.retargeted, None, text, details, as_of, now)


async def conditions_cleared(session: AsyncSession, cleared: Sequence[tuple[Mapping[str, Any], Policy | None]], as_of: date,
                             now: datetime, case_policy_for: CasePolicyFor | None = None) -> list[CaseChanged]:
    """People close cases: a cleared condition only moves an unanswered case to replied, for the office to review,
    or withdraws one that cleared the day it opened, untouched (lifecycle.condition_cleared).

    `cleared` holds the escalations just cleared, as stored, with their policies: their cases are read (FOR UPDATE),
    their projects' facts read and their steps written together, a statement per table for the lot (a sweep or a batch
    of ledgers coming in clears many at once)."""
    by_escalation = {escalation["escalation_id"]: (escalation, policy) for escalation, policy in cleared}
    if not by_escalation:
        return []
    rows = (await session.execute(CASES_OF_ESCALATIONS, {"ids": sorted(by_escalation)})).mappings().all()
    moved = [(row, case, lifecycle.condition_cleared(case, as_of)) for row in rows for case in (from_row(row),)]
    moved = [(row, case, after) for row, case, after in moved if after is not None]
    snapshots = await snapshots_of(session, sorted({row["project_id"] for row, _, _ in moved}))
    case_policy_for = case_policy_for or configured()
    steps = []
    for row, case, after in moved:
        escalation, policy = by_escalation[row["escalation_id"]]
        ctx = context_from(row, escalation, snapshots.get(row["project_id"]) or {}, policy or Policy(), case_policy_for(row["county_code"]))
        withdrawn = after.state == CaseState.withdrawn
        steps.append(step_of(ctx, row["version"], case, after, CaseAction.withdrawn if withdrawn else CaseAction.replied, None,
                             WITHDRAWN_NOTE if withdrawn else CLEARED_NOTE, {"system": True, "escalation_status": "cleared"}, as_of, now))
    await record_stored(session, steps, now)
    return [step.event for step in steps]
