"""A project's facts changed and its open findings stand at the same level: the escalation's audience and its case's target
follow the facts now known (a leader or lead department that arrived after the case opened), so targets do not depend on
which record came first."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.cases import hooks as case_hooks
from services.escalation.domain.findings import Finding
from services.escalation.domain.ladder import escalation_key
from services.escalation.domain.policy import Policy
from services.escalation.tables import cases, escalations
from shared.contracts import Recipient
from shared.contracts.case import CaseChanged

# The finding's audience and evidence at the same level: no new escalation event, the case's step says what moved.
REFRESH = (update(escalations).where(escalations.c.escalation_id == bindparam("eid"))
           .values(recipients=bindparam("recipients"), evidence=bindparam("evidence"), updated_at=bindparam("now")))
OPEN_WITH_CASES = (
    select(escalations.c.escalation_id, escalations.c.escalation_key, escalations.c.project_id, escalations.c.occurrence, escalations.c.level,
           escalations.c.recipients, escalations.c.evidence)
    .join(cases, cases.c.escalation_id == escalations.c.escalation_id)
    .where(escalations.c.escalation_key.in_(bindparam("keys", expanding=True)), escalations.c.status == "open")
    .order_by(escalations.c.escalation_id)
)
Standing = tuple[dict, Policy, Finding]  # project, policy, a finding of its current facts


def _recipients(finding: Finding) -> list[dict[str, str]]:
    return [Recipient(kind=a.kind, name=a.name, role=a.role).model_dump(mode="json") for a in finding.audience]


PARTY_FIELDS = frozenset({"leader", "lead_department", "responsible_unit"})


async def follow_facts(session: AsyncSession, standing: Sequence[Standing], as_of: date, now: datetime,
                       parties_changed: frozenset[str] | set[str] = frozenset(),
                       written_now: frozenset[str] | set[str] = frozenset()) -> list[CaseChanged]:
    """Refresh the open escalations whose audience changed and re-target their cases (people's finished cases stay);
    `parties_changed` names projects whose leader or units changed, whose cases are checked even if the audience is not.
    `written_now` names escalations raised or lifted in this transaction: they and their cases were written from these
    same facts, so there is nothing to follow (a new project's first batch would otherwise re-read every case it opened)."""
    by_key = {escalation_key(p["project_id"], f.rule_id, f.subject): (policy, f) for p, policy, f in standing}
    if not by_key:
        return []
    rows = (await session.execute(OPEN_WITH_CASES, {"keys": sorted(by_key)})).mappings().all()
    stale = [(row, *by_key[row["escalation_key"]]) for row in rows
             if row["escalation_id"] not in written_now
             and by_key[row["escalation_key"]][1].occurrence == row["occurrence"]
             and by_key[row["escalation_key"]][1].level == row["level"]
             and (row["project_id"] in parties_changed or row["recipients"] != _recipients(by_key[row["escalation_key"]][1])
                  or dict(row["evidence"] or {}) != dict(by_key[row["escalation_key"]][1].evidence))]
    if not stale:
        return []
    await session.execute(REFRESH, [{"eid": row["escalation_id"], "recipients": _recipients(f), "evidence": dict(f.evidence), "now": now}
                                    for row, _, f in stale])
    return await case_hooks.follow_escalations(session, [(row["escalation_id"], policy, finding) for row, policy, finding in stale],
                                               as_of, now, note="项目信息更新：改由{target}办理")
