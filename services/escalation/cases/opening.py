"""Opening cases (many at once after an import's first sweep), in a fixed number of statements for the lot, in the
Recorder's transaction."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.cases import lifecycle
from services.escalation.cases.hooks import colour_of
from services.escalation.cases.ladder import floor_of
from services.escalation.cases.letter_numbers import Numbering
from services.escalation.cases.policy import CasePolicyFor, configured
from services.escalation.cases.store import (
    Context,
    Step,
    case_id_for,
    draft_of,
    handlers_of,
    letter_department,
    parties_of,
    record_new,
    snapshots_of,
    step_of,
)
from services.escalation.domain.findings import Finding
from services.escalation.domain.policy import Policy
from services.escalation.tables import cases
from shared.contracts.case import CaseAction

CASES_OF = select(cases.c.case_id).where(cases.c.case_id.in_(bindparam("ids", expanding=True)))  # built once, ids bound when run

Opening = tuple[str, dict[str, Any], Policy, Finding]  # escalation id, project, policy, finding


async def open_cases(session: AsyncSession, openings: Sequence[Opening], as_of: date, now: datetime,
                     case_policy_for: CasePolicyFor | None = None) -> list[Step]:
    """Open a case for every escalation that has none; a green finding (a reminder) opens none."""
    wanted = [(case_id_for(esc_id), esc_id, project, policy, finding) for esc_id, project, policy, finding in openings
              if colour_of(finding, policy) != "green"]
    if not wanted:
        return []
    existing = set((await session.execute(CASES_OF, {"ids": [w[0] for w in wanted]})).scalars())
    wanted = [w for w in wanted if w[0] not in existing]
    if not wanted:
        return []
    projects = sorted({project["project_id"] for _, _, project, _, _ in wanted})
    snapshots = await snapshots_of(session, projects)
    handlers = await handlers_of(session, sorted({project["county_code"] for _, _, project, _, _ in wanted}))
    case_policy_for = case_policy_for or configured()
    steps = []
    numbering = Numbering(session, as_of.year)
    for case_id, esc_id, project, policy, finding in wanted:
        county = project["county_code"]
        case_policy = case_policy_for(county)
        parties = parties_of(snapshots.get(project["project_id"]) or {}, policy, case_policy, finding.audience, finding.evidence)
        colour = colour_of(finding, policy)
        # Red opens with a 交办函: the county's next number this year, one after another in the batch.
        number = await numbering.next(county, case_policy.letter_prefix) if floor_of(colour) >= 2 else ""
        draft = draft_of(number, parties, handlers.get((county, letter_department(parties))))
        case = lifecycle.open_case(colour, parties, as_of, case_policy, draft)
        ctx = Context(case_id, esc_id, project["project_id"], county, finding.rule_id, policy.policy_version, project.get("project_code"),
                      project.get("name"), project.get("correlation_id") or project["project_id"], parties)
        details = {"colour": colour, "rule_level": finding.level, "rule_level_name": finding.level_name, "evidence": dict(finding.evidence)}
        steps.append(step_of(ctx, None, None, case, CaseAction.opened, None, finding.summary, details, as_of, now, step=f"L{case.level}"))
    await numbering.record()
    await record_new(session, steps, now)
    return steps

