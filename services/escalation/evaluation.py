"""Evaluating stored projects: their decisions and their next due day, and writing both (shared by changes and sweeps)."""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation import policy_versions
from services.escalation.domain.due import next_due
from services.escalation.domain.findings import Finding
from services.escalation.domain.ladder import Decision
from services.escalation.domain.policy import Policy
from services.escalation.domain.rules import RULES, evaluate_all
from services.escalation.projection import facts_of
from services.escalation.reconcile import reconcile
from services.escalation.records import Recorder, open_records
from services.escalation.tables import outbox, project_facts
from shared.contracts import ProjectSnapshot
from shared.contracts.base import Event
from shared.persistence import add_to_outbox

PolicyFor = Callable[[str], Policy]
RULE_IDS = tuple(rule.rule_id for rule in RULES)
NEVER = date(9999, 12, 31)  # next_due of a project no day can change: only a change event reads it again
# One statement per chunk (executemany); the version guard leaves a row a newer change has dated already.
STORE_NEXT_DUE = (
    update(project_facts).where(project_facts.c.project_id == bindparam("pid"), project_facts.c.version == bindparam("v"))
    .values(next_due=bindparam("due"))
)


@dataclass
class Evaluated:
    project: dict[str, Any]
    policy: Policy
    version: int
    next_due: date
    decisions: list[Decision] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def evaluate(rows: Sequence[dict[str, Any]], open_by_project: dict[str, list], policy_for: PolicyFor, as_of: date) -> list[Evaluated]:
    """Pure: every project's decisions as of one Beijing date, and the first day after it they can change."""
    evaluated = []
    for row in rows:
        snapshot = row.get("model") or ProjectSnapshot.model_validate(row["snapshot"])
        policy = policy_for(row["county_code"])
        facts = facts_of(snapshot, row["county_code"])
        findings = evaluate_all(facts, policy, as_of)
        project = {"project_id": row["project_id"], "county_code": row["county_code"], "project_code": snapshot.project_code,
                   "name": snapshot.name, "correlation_id": row.get("correlation_id") or row["project_id"]}
        decisions = reconcile(row["project_id"], open_by_project.get(row["project_id"], []), findings, RULE_IDS, as_of)
        due = next_due(facts, policy, as_of, RULE_IDS, findings) or NEVER
        evaluated.append(Evaluated(project, policy, row["version"], due, decisions, findings))
    return evaluated


async def record(session: AsyncSession, evaluated: Sequence[Evaluated], as_of: date, now: datetime) -> list[Event]:
    """Write the decisions (escalations, their cases, the outbox) in the caller's transaction."""
    moving = [item for item in evaluated if item.decisions]
    if not moving:
        return []
    recorder = Recorder(session, now, as_of)
    await policy_versions.remember(session, [item.policy for item in moving], now)
    await recorder.apply_all([(item.project, item.policy, item.decisions) for item in moving])
    await add_to_outbox(session, outbox, recorder.events, now)
    return [event for event, _ in recorder.events]


async def store_next_due(session: AsyncSession, evaluated: Sequence[Evaluated]) -> None:
    if evaluated:
        await session.execute(STORE_NEXT_DUE, [{"pid": e.project["project_id"], "v": e.version, "due": e.next_due} for e in evaluated])


async def evaluate_stored(session: AsyncSession, rows: Sequence[dict[str, Any]], policy_for: PolicyFor, as_of: date,
                          now: datetime) -> list[Event]:
    """A sweep's chunk, read without locks: only the projects that change are locked, and only to write.

    A project whose version moved since it was read was evaluated by its change handler (which locks it): left alone."""
    evaluated = evaluate(rows, await open_records(session, [r["project_id"] for r in rows]), policy_for, as_of)
    moving = sorted((e for e in evaluated if e.decisions), key=lambda e: e.project["project_id"])
    if moving:
        locked = dict((await session.execute(
            select(project_facts.c.project_id, project_facts.c.version)
            .where(project_facts.c.project_id.in_([e.project["project_id"] for e in moving]))
            .order_by(project_facts.c.project_id).with_for_update()
        )).all())
        moved = {e.project["project_id"] for e in moving if locked.get(e.project["project_id"]) != e.version}
        evaluated = [e for e in evaluated if e.project["project_id"] not in moved]
    recorded = await record(session, evaluated, as_of, now)
    stored = {r["project_id"]: r.get("next_due") for r in rows}
    await store_next_due(session, [e for e in evaluated if e.next_due != stored.get(e.project["project_id"])])  # a row rewritten only to change it
    return recorded
