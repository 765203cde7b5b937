"""What an escalation's own life does to its case, inside the Recorder's transaction: follow a rising rule, note a cleared
condition (opening is opening.py's), for many escalations at once."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.cases import lifecycle
from services.escalation.cases.climbing import climb_step
from services.escalation.cases.evidence import records_of
from services.escalation.cases.ladder import TOP, floor_of
from services.escalation.cases.letter_numbers import Numbering
from services.escalation.cases.policy import CasePolicyFor, configured
from services.escalation.cases.referrals import referred_to
from services.escalation.cases.rows import from_row
from services.escalation.cases.store import (
    Context,
    Step,
    context_from,
    draft_of,
    handlers_of,
    letter_department,
    record_stored,
    snapshots_of,
    step_of,
)
from services.escalation.domain.findings import Finding
from services.escalation.domain.ladder import PERIOD_ENDED
from services.escalation.domain.policy import Policy
from services.escalation.tables import cases, escalations
from shared.contracts.case import CaseAction, CaseChanged, CaseState

CLEARED_NOTE = "条件已消除"
CASES_OF_ESCALATIONS = (select(cases).where(cases.c.escalation_id.in_(bindparam("ids", expanding=True))).order_by(cases.c.case_id)
                        .with_for_update())  # record_stored's version guard holds on PostgreSQL too
ESCALATIONS_OF = select(escalations).where(escalations.c.escalation_id.in_(bindparam("ids", expanding=True)))
WITHDRAWN_NOTE = "条件当日已消除，尚未签收办理，督办单自动撤销"
# A year's grade ends with its year, the condition standing: not cleared, and the office decides what follows.
PERIOD_ENDED_NOTE = "考核期已结束，问题未消除，请重点项目办复核后销号或另行交办"


def colour_of(finding: Finding, policy: Policy) -> str:
    """The colour the case's ladder works by. A red finding referred to an oversight body (移送纪委监委) keeps its case
    with the lead department, at L1, to report and hold construction: the referral is the body's record, and the
    leader in charge is told, not tasked (cases/referrals.py)."""
    if finding.colour == "red" and referred_to(finding, policy):
        return "yellow"
    return finding.colour


async def follow_escalations(session: AsyncSession, rising: Sequence[tuple[str, Policy, Finding]], as_of: date, now: datetime,
                             case_policy_for: CasePolicyFor | None = None, note: str | None = None) -> list[CaseChanged]:
    """The rules' own levels rose, or the facts moved their audience: each case is lifted to at least the level its
    finding's colour asks for, never lowered, else re-targeted to whom the facts now name. `rising` holds (escalation id,
    policy, finding) of escalations that have cases, stored with their new audience; the cases are read (FOR UPDATE) and
    written together, a statement per table for the lot (1 January lifts every unstarted project's central funds)."""
    by_escalation = {escalation_id: (policy, finding) for escalation_id, policy, finding in rising}
    if not by_escalation:
        return []
    rows = (await session.execute(CASES_OF_ESCALATIONS, {"ids": sorted(by_escalation)})).mappings().all()
    stored = {row["escalation_id"]: row for row in (await session.execute(ESCALATIONS_OF, {"ids": sorted(by_escalation)})).mappings()}
    snapshots = await snapshots_of(session, sorted({row["project_id"] for row in rows}))
    handlers = await handlers_of(session, sorted({row["county_code"] for row in rows}))
    lifted = []
    for row in rows:
        policy, finding = by_escalation[row["escalation_id"]]
        lifted.append((row, from_row(row), floor_of(colour_of(finding, policy))))
    records = await records_of(session, [(row["case_id"], row["escalation_id"]) for row, case, to_level in lifted
                                         if to_level > case.level and to_level == TOP])
    numbering, case_policy_for, steps = Numbering(session, as_of.year), case_policy_for or configured(), []
    for row, case, to_level in lifted:  # in case-id order: letters numbered as one climb after another would be
        county, (policy, finding), escalation = row["county_code"], by_escalation[row["escalation_id"]], stored[row["escalation_id"]]
        case_policy = case_policy_for(county)
        ctx = context_from(row, escalation, snapshots.get(row["project_id"]) or {}, policy, case_policy)
        handler = handlers.get((county, letter_department(ctx.parties)))
        if to_level > case.level:
            steps.append(await climb_step(numbering, ctx, row["version"], case, to_level, f"规则升级：{finding.level_name}",
                                          dict(escalation), handler, case_policy, records, as_of, now))
        else:
            moved = lifecycle.retarget(case, colour_of(finding, policy), as_of, ctx.parties, case_policy, draft_of("", ctx.parties, handler))
            if moved is not None:
                steps.append(_retargeted(ctx, row["version"], case, moved, finding, note, as_of, now))
    await numbering.record()
    await record_stored(session, steps, now)
    return [step.event for step in steps]


def _retargeted(ctx: Context, version: int, case: lifecycle.Case, moved: lifecycle.Case, finding: Finding, note: str | None,
                as_of: date, now: datetime) -> Step:
    details = {"reason": finding.level_name, "from": {"kind": case.target_kind, "name": case.target_name},
               "to": {"kind": moved.target_kind, "name": moved.target_name},
               "letter_handler": moved.letter.handler_department if moved.letter else None}
    target = moved.letter.handler_department if moved.target_kind != "department" and moved.letter else moved.target_name
    text = (note or f"规则升级：{finding.level_name}，改由{{target}}办理").format(target=target)
    return step_of(ctx, version, case, moved, CaseAction.retargeted, None, text, details, as_of, now)


async def conditions_cleared(session: AsyncSession, cleared: Sequence[tuple[Mapping[str, Any], Policy, str]], as_of: date,
                             now: datetime, case_policy_for: CasePolicyFor | None = None) -> list[CaseChanged]:
    """People close cases: a cleared condition only moves an unanswered case to replied, for the office to review,
    or withdraws one that cleared the day it opened, untouched (lifecycle.condition_cleared). A period that ended with
    the condition standing moves it to replied too, saying so (PERIOD_ENDED_NOTE), never withdrawn.

    `cleared` holds the escalations just closed, as stored, with their policies and why they closed (ladder's
    CONDITION_CLEARED or PERIOD_ENDED): their cases are read (FOR UPDATE), their projects' facts read and their steps
    written together, a statement per table for the lot (a sweep or a batch of ledgers coming in clears many at once)."""
    by_escalation = {escalation["escalation_id"]: (escalation, policy, reason) for escalation, policy, reason in cleared}
    if not by_escalation:
        return []
    rows = (await session.execute(CASES_OF_ESCALATIONS, {"ids": sorted(by_escalation)})).mappings().all()
    moved = []
    for row in rows:
        case, reason = from_row(row), by_escalation[row["escalation_id"]][2]
        if (after := lifecycle.condition_cleared(case, as_of, may_withdraw=reason != PERIOD_ENDED)) is not None:
            moved.append((row, case, after))
    snapshots = await snapshots_of(session, sorted({row["project_id"] for row, _, _ in moved}))
    case_policy_for = case_policy_for or configured()
    steps = []
    for row, case, after in moved:
        escalation, policy, reason = by_escalation[row["escalation_id"]]
        ctx = context_from(row, escalation, snapshots.get(row["project_id"]) or {}, policy, case_policy_for(row["county_code"]))
        withdrawn = after.state == CaseState.withdrawn
        note = WITHDRAWN_NOTE if withdrawn else PERIOD_ENDED_NOTE if reason == PERIOD_ENDED else CLEARED_NOTE
        steps.append(step_of(ctx, row["version"], case, after, CaseAction.withdrawn if withdrawn else CaseAction.replied, None,
                             note, {"system": True, "escalation_status": "cleared", "resolution": reason}, as_of, now))
    await record_stored(session, steps, now)
    return [step.event for step in steps]
