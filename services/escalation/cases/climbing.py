"""One climb up the ladder, written: the letter at L2, the evidence pack at L5, the new level's audience told."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.cases import lifecycle
from services.escalation.cases.evidence import evidence_pack
from services.escalation.cases.ladder import TOP
from services.escalation.cases.lifecycle import Case
from services.escalation.cases.policy import CasePolicy
from services.escalation.cases.rows import letter_json
from services.escalation.cases.store import Actor, Context, letter_draft, record
from shared.contracts.case import CaseAction, CaseChanged


async def climb_case(session: AsyncSession, ctx: Context, version: int, case: Case, to_level: int, reason: str,
                     escalation: dict[str, Any] | None, case_policy: CasePolicy, as_of: date, now: datetime,
                     actor: Actor | None = None) -> CaseChanged:
    draft = await letter_draft(session, ctx.county_code, ctx.case_id, as_of, ctx.parties, case_policy,
                               numbered=case.letter is None and to_level >= 2)
    climbed = lifecycle.climb(case, to_level, as_of, ctx.parties, case_policy, draft)
    details: dict[str, Any] = {"reason": reason, "from_level": case.level, "to_level": to_level,
                               "missed_due": case.due.due.isoformat() if case.due else None}
    if climbed.letter is not None and case.letter is None:
        details["letter"] = letter_json(climbed.letter)
    if to_level == TOP:
        title = ctx.project_name or ctx.project_code or ctx.project_id
        details["evidence_pack"] = await evidence_pack(session, ctx.case_id, climbed, dict(escalation or {}), ctx.parties, title, as_of)
    return await record(session, ctx, version, case, climbed, CaseAction.climbed, actor, reason, details, as_of, now, step=f"L{to_level}")
