"""Applying ladder decisions: escalation rows, their history, and the events they cause (outbox)."""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.cases import hooks as case_hooks
from services.escalation.cases.opening import open_cases
from services.escalation.cases.referrals import refer_all
from services.escalation.domain.findings import Finding
from services.escalation.domain.ladder import (
    CONDITION_CLEARED,
    PERIOD_ENDED,
    Decision,
    Escalate,
    Open,
    Raise,
    Resolve,
    escalation_id,
    escalation_key,
)
from services.escalation.domain.policy import Policy
from services.escalation.tables import cases, escalation_history, escalations
from shared import subjects
from shared.contracts import EscalationEscalated, EscalationFacts, EscalationRaised, EscalationResolved, Recipient
from shared.contracts.base import Event
from shared.persistence import inserting

EVENT_NAMESPACE = uuid.UUID("2d0c8a53-64c1-4f0e-8f7a-5b1e6c2d9a44")
RESOLVED_PREFIX = {CONDITION_CLEARED: "已消除：", PERIOD_ENDED: "考核期已结束（未消除）："}  # the resolved event's summary
ESCALATE = (  # one statement for every escalation a transaction lifts (executemany)
    update(escalations).where(escalations.c.escalation_id == bindparam("eid"))
    .values(level=bindparam("level"), level_name=bindparam("level_name"), as_of=bindparam("as_of"), evidence=bindparam("evidence"),
            recipients=bindparam("recipients"), summary=bindparam("summary"), updated_at=bindparam("updated_at"))
)
RESOLVE = (
    update(escalations).where(escalations.c.escalation_key.in_(bindparam("keys", expanding=True)), escalations.c.status == "open")
    .values(status="cleared", cleared_at=bindparam("now"), updated_at=bindparam("now")).returning(escalations)
)
# Built once, lists bound at each execution (see shared.persistence.inserting).
OPEN_OF_PROJECTS = (
    select(escalations.c.project_id, escalations.c.escalation_key, escalations.c.occurrence, escalations.c.level)
    .where(escalations.c.project_id.in_(bindparam("ids", expanding=True)), escalations.c.status == "open")
)
OPEN_BY_KEYS = select(escalations.c.escalation_key, escalations.c.escalation_id).where(
    escalations.c.escalation_key.in_(bindparam("keys", expanding=True)), escalations.c.status == "open")
WITH_CASE = select(cases.c.escalation_id).where(cases.c.escalation_id.in_(bindparam("ids", expanding=True)))
OCCURRENCES = (
    select(escalations.c.escalation_key, escalations.c.occurrence, func.count())
    .where(escalations.c.escalation_key.in_(bindparam("keys", expanding=True)))
    .group_by(escalations.c.escalation_key, escalations.c.occurrence)
)


def _recipients(finding: Finding) -> list[dict[str, str]]:
    return [Recipient(kind=a.kind, name=a.name, role=a.role).model_dump(mode="json") for a in finding.audience]


async def open_records(session: AsyncSession, project_ids: list[str]) -> dict[str, list[Open]]:
    rows = await session.execute(OPEN_OF_PROJECTS, {"ids": list(project_ids)})
    found: dict[str, list[Open]] = {}
    for project_id, key, occurrence, level in rows:
        found.setdefault(project_id, []).append(Open(key, occurrence, level))
    return found


class Recorder:
    """Writes what the decisions of one transaction mean, and collects the events to publish."""

    def __init__(self, session: AsyncSession, now: datetime, as_of: date) -> None:
        self.session, self.now, self.as_of = session, now, as_of
        self.events: list[tuple[Event, str]] = []
        self._history: list[dict[str, Any]] = []  # escalation_history rows not written yet

    async def apply_all(self, work: Sequence[tuple[dict[str, Any], Policy, Sequence[Decision]]]) -> None:
        """Every project's decisions, in order; the raises of all of them written together (the first sweep after an
        import raises thousands: one statement per table instead of three per escalation)."""
        raises: list[tuple[dict[str, Any], Policy, Finding]] = []
        rises: list[tuple[dict[str, Any], Policy, Escalate]] = []
        resolves: list[tuple[dict[str, Any], Resolve, Policy]] = []
        for project, policy, decisions in work:
            for decision in decisions:
                if isinstance(decision, Raise):
                    raises.append((project, policy, decision.finding))
                elif isinstance(decision, Escalate):
                    rises.append((project, policy, decision))
                elif isinstance(decision, Resolve):
                    resolves.append((project, decision, policy))
        if resolves:  # first: an episode that ends and the next that opens share their key
            await self._resolve_all(resolves)
        if rises:
            await self._escalate_all(rises)
        if raises:
            await self._raise_all(raises)

    async def _escalate_all(self, rises: list[tuple[dict[str, Any], Policy, Escalate]]) -> None:
        keys = [escalation_key(p["project_id"], e.finding.rule_id, e.finding.subject) for p, _, e in rises]
        ids = dict((await self.session.execute(OPEN_BY_KEYS, {"keys": keys})).all())
        lifted = [(ids[key], project, policy, rise) for key, (project, policy, rise) in zip(keys, rises, strict=True)]
        await self.session.execute(ESCALATE, [{"eid": esc_id, **self._finding_columns(rise.finding)} for esc_id, _, _, rise in lifted])
        for esc_id, project, _, rise in lifted:
            self._event(EscalationEscalated, esc_id, project, rise.finding, "escalated", previous_level=rise.previous_level)
        await self._write_history()
        with_case = set((await self.session.execute(WITH_CASE, {"ids": list(ids.values())})).scalars())
        # A reminder that became overdue opens its case now (all of them together); a case that exists may climb.
        await open_cases(self.session, [(esc_id, project, policy, rise.finding) for esc_id, project, policy, rise in lifted
                                        if esc_id not in with_case], self.as_of, self.now)
        await case_hooks.follow_escalations(self.session, [(esc_id, policy, rise.finding) for esc_id, _, policy, rise in lifted
                                                           if esc_id in with_case], self.as_of, self.now)
        await refer_all(self.session, [(esc_id, project, policy, rise.finding) for esc_id, project, policy, rise in lifted],
                        self.as_of, self.now)

    async def _raise_all(self, raises: list[tuple[dict[str, Any], Policy, Finding]]) -> None:
        keyed = [(escalation_key(p["project_id"], f.rule_id, f.subject), p, policy, f) for p, policy, f in raises]
        earlier = {(key, occurrence): count for key, occurrence, count in await self.session.execute(
            OCCURRENCES, {"keys": sorted({key for key, *_ in keyed})})}
        rows, opened = [], []
        for key, project, policy, finding in keyed:
            sequence = earlier.get((key, finding.occurrence), 0) + 1
            esc_id = str(escalation_id(project["project_id"], finding.rule_id, finding.subject, finding.occurrence, sequence))
            rows.append(dict(
                escalation_id=esc_id, escalation_key=key, project_id=project["project_id"], county_code=project["county_code"],
                rule_id=finding.rule_id, rule_version=finding.rule_version, policy_version=policy.policy_version,
                subject=finding.subject, occurrence=finding.occurrence, sequence=sequence, status="open",
                opened_at=self.now, cleared_at=None, **self._finding_columns(finding),
            ))
            self._event(EscalationRaised, esc_id, project, finding, "raised")
            opened.append((esc_id, project, policy, finding))
        await self.session.execute(inserting(escalations), rows)
        await self._write_history()
        # The cases (督办单) open in the same transaction; their CaseChanged events go to the outbox there too.
        await open_cases(self.session, opened, self.as_of, self.now)
        await refer_all(self.session, opened, self.as_of, self.now)  # 移送: a record of the oversight body's own

    async def _resolve_all(self, resolves: list[tuple[dict[str, Any], Resolve, Policy]]) -> None:
        """Clear the escalations together (a sweep or a batch of changes clears many), then their cases."""
        keys = {resolve.current.escalation_key for _, resolve, _ in resolves}
        found = await self.session.execute(RESOLVE, {"keys": sorted(keys), "now": self.now})
        rows = {row["escalation_key"]: row for row in found.mappings()}
        if missing := keys - rows.keys():
            raise LookupError(f"no open escalation for {sorted(missing)}")
        for project, resolve, _ in resolves:
            row = rows[resolve.current.escalation_key]
            finding = Finding(
                rule_id=row["rule_id"], rule_version=row["rule_version"], subject=row["subject"], occurrence=row["occurrence"],
                level=row["level"], level_name=row["level_name"], audience=(), evidence=row["evidence"],
                summary=f"{RESOLVED_PREFIX[resolve.reason]}{row['summary']}",
            )
            self._event(EscalationResolved, row["escalation_id"], project, finding, "resolved", recipients=row["recipients"],
                        resolution=resolve.reason)
        await self._write_history()
        await case_hooks.conditions_cleared(self.session, [(rows[resolve.current.escalation_key], policy, resolve.reason)
                                                           for _, resolve, policy in resolves], self.as_of, self.now)  # people close cases

    def _finding_columns(self, finding: Finding) -> dict[str, Any]:
        return {"level": finding.level, "level_name": finding.level_name, "as_of": self.as_of, "evidence": dict(finding.evidence),
                "recipients": _recipients(finding), "summary": finding.summary, "updated_at": self.now}

    def _event(self, kind: type[EscalationFacts], esc_id: str, project: dict[str, Any], finding: Finding, fact: str,
               recipients: list[dict[str, str]] | None = None, **extra: Any) -> None:
        event_id = uuid.uuid5(EVENT_NAMESPACE, f"{esc_id}|{fact}|{finding.level}")
        event = kind(
            event_id=event_id, occurred_at=self.now, county_code=project["county_code"], correlation_id=project["correlation_id"],
            escalation_id=uuid.UUID(esc_id), project_id=uuid.UUID(project["project_id"]), project_code=project.get("project_code"),
            project_name=project.get("name"), subject=finding.subject, rule_id=finding.rule_id, rule_version=finding.rule_version,
            level=finding.level, level_name=finding.level_name, as_of=self.as_of, evidence=dict(finding.evidence),
            recipients=tuple(Recipient.model_validate(r) for r in (recipients if recipients is not None else _recipients(finding))),
            summary=finding.summary, **extra,
        )
        self._history.append(dict(escalation_id=esc_id, kind=fact, level=finding.level, as_of=self.as_of, event_id=str(event_id),
                                  recorded_at=self.now))
        self.events.append((event, subjects.escalation(project["county_code"], fact)))

    async def _write_history(self) -> None:
        if self._history:
            await self.session.execute(inserting(escalation_history), self._history)
            self._history = []
