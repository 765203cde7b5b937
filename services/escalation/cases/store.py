"""Writing one step of a case: the version-guarded row, its audit-log row and its CaseChanged event (outbox), together."""
from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.cases.ladder import Parties, audience_of
from services.escalation.cases.ladder import level_name as name_of_level
from services.escalation.cases.letter_numbers import next_number
from services.escalation.cases.lifecycle import Case, LetterDraft
from services.escalation.cases.policy import CasePolicy
from services.escalation.cases.rows import to_values
from services.escalation.domain.findings import Audience
from services.escalation.domain.policy import Policy
from services.escalation.tables import case_actions, cases, outbox, people, project_facts
from shared import subjects
from shared.contracts import Recipient
from shared.contracts.case import CaseAction, CaseChanged
from shared.persistence import add_to_outbox, inserting

# Fixed forever: a case's id and its events' ids are derived from these.
CASE_NAMESPACE = uuid.UUID("0b7e4f2a-3c5d-4e6f-8a9b-1c2d3e4f5a6b")
ACTION_TEXT = {
    CaseAction.opened: "立案督办", CaseAction.acknowledged: "已签收", CaseAction.replied: "已反馈情况说明及整改方案",
    CaseAction.reviewed: "复核通过", CaseAction.closed: "已办结", CaseAction.reopened: "重新督办",
    CaseAction.climbed: "逾期升级", CaseAction.exception_claimed: "申请例外，计时暂停",
    CaseAction.exception_confirmed: "例外已确认", CaseAction.exception_rejected: "例外未获确认，恢复计时",
    CaseAction.retargeted: "改由新的责任部门办理", CaseAction.withdrawn: "条件当日已消除，撤销督办",
}
# Reads of many cases' projects and handlers at once (cases opened or climbing together); lists bound at each execution.
SNAPSHOTS_OF = select(project_facts.c.project_id, project_facts.c.snapshot).where(project_facts.c.project_id.in_(bindparam("ids", expanding=True)))
HANDLERS_OF = (
    select(people.c.county_code, people.c.department, people.c.name)
    .where(people.c.county_code.in_(bindparam("counties", expanding=True)), people.c.role == "department", people.c.active.is_(True))
    .order_by(people.c.login)
)


class Conflict(Exception):
    """Someone else changed the case in between (version guard): read it again and retry."""


@dataclass(frozen=True, slots=True)
class Actor:
    person_id: str
    name: str
    role: str


@dataclass(frozen=True, slots=True)
class Context:
    """What a case's events carry besides the case itself."""

    case_id: str
    escalation_id: str
    project_id: str
    county_code: str
    rule_id: str
    policy_version: int
    project_code: str | None
    project_name: str | None
    correlation_id: str
    parties: Parties


def case_id_for(escalation_id: str) -> str:
    return str(uuid.uuid5(CASE_NAMESPACE, f"case|{escalation_id}"))


def event_id_for(case_id: str, action: CaseAction, step: str) -> uuid.UUID:
    """Climbs and openings are keyed by level (a case reaches each level once), people's actions by version."""
    return uuid.uuid5(CASE_NAMESPACE, f"{case_id}|{action.value}|{step}")


async def snapshot_of(session: AsyncSession, project_id: str) -> dict[str, Any]:
    return (await session.scalar(select(project_facts.c.snapshot).where(project_facts.c.project_id == project_id))) or {}


def parties_of(snapshot: dict[str, Any], policy: Policy, case_policy: CasePolicy, seen: tuple[Audience, ...] = (),
               evidence: Mapping[str, str] | None = None) -> Parties:
    """The project's current leader and units (its facts), else whom the rule named, and the county's bodies.

    A department the rule found blocking (an approval, land clearing) is the one asked to act, not the investor."""
    # Oversight bodies and the ladder's own bodies are told or take referrals; they are never a case's department.
    bodies = {policy.project_office, policy.scheduling_meeting, policy.discipline_commission, policy.audit_office,
              case_policy.organization_department}

    def named(kind: str, besides: set[str | None]) -> str | None:
        return next((a.name for a in seen if a.kind == kind and a.role == "action" and a.name not in besides), None)

    lead, unit = snapshot.get("lead_department") or named("department", bodies), snapshot.get("responsible_unit")
    addressed = named("department", bodies | {lead, unit})
    return Parties(office=policy.project_office, scheduling_meeting=policy.scheduling_meeting,
                   discipline_commission=policy.discipline_commission, organization_department=case_policy.organization_department,
                   lead_department=lead, responsible_unit=unit, leader=snapshot.get("leader") or named("leader", set()),
                   blocking_department=((evidence or {}).get("blocking_department") or "").split(",")[0] or None,
                   addressed_department=addressed)


async def letter_draft(session: AsyncSession, county_code: str, case_id: str, as_of: date, parties: Parties,
                       case_policy: CasePolicy, numbered: bool = True) -> LetterDraft:
    """The handler is a named person of the lead department when the county issued one. The number is the county's next
    for the year (letter_numbers.py); a step that cannot issue a letter (`numbered` False) takes none."""
    department = letter_department(parties)
    handler = None
    if department:
        handler = await session.scalar(
            select(people.c.name).where(people.c.county_code == county_code, people.c.role == "department",
                                        people.c.department == department, people.c.active.is_(True)).order_by(people.c.login).limit(1))
    number = await next_number(session, county_code, as_of.year, case_policy.letter_prefix) if numbered else ""
    return draft_of(number, parties, handler)


def letter_department(parties: Parties) -> str | None:
    return parties.acting_department or parties.responsible_unit


def draft_of(number: str, parties: Parties, handler: str | None) -> LetterDraft:
    department = letter_department(parties)
    return LetterDraft(number, handler or f"{department or parties.office}负责同志", department)


def _tell(action: CaseAction, case: Case, parties: Parties, before: Case | None) -> tuple[Audience, ...]:
    """Who hears of this step: a new level's whole audience (and a moved case's old target); the office of what targets do;
    the target of what the office does."""
    if action is CaseAction.retargeted and before is not None:
        told = audience_of(case.level, case.target_kind, case.target_name, parties)
        old = Audience(before.target_kind, before.target_name, "informed")  # type: ignore[arg-type]
        return told if any(a.name == old.name for a in told) else (*told, old)
    if action is CaseAction.withdrawn:  # those told of the opening hear it is called off; nobody owes anything
        return tuple(Audience(a.kind, a.name, "informed") for a in audience_of(case.level, case.target_kind, case.target_name, parties))
    if action in (CaseAction.opened, CaseAction.climbed, CaseAction.exception_confirmed):
        return audience_of(case.level, case.target_kind, case.target_name, parties)
    if action in (CaseAction.acknowledged, CaseAction.replied, CaseAction.exception_claimed):
        return (Audience("office", parties.office, "action" if action != CaseAction.acknowledged else "informed"),)
    return (Audience(case.target_kind, case.target_name, "action"),)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Step:
    """What one step of a case writes: the row's new values, its audit-log row and its event."""

    version: int
    values: dict[str, Any]
    action_row: dict[str, Any]
    event: CaseChanged


def step_of(ctx: Context, version: int | None, before: Case | None, case: Case, action: CaseAction, actor: Actor | None, note: str,
            details: dict[str, Any], as_of: date, now: datetime, step: str | None = None) -> Step:
    """Pure: the rows and the event of a step (`version` None: the case is new)."""
    new_version = 1 if version is None else version + 1
    values = {**to_values(case), "version": new_version, "updated_at": now}
    if version is None:
        values |= {"case_id": ctx.case_id, "escalation_id": ctx.escalation_id, "project_id": ctx.project_id,
                   "county_code": ctx.county_code, "rule_id": ctx.rule_id, "policy_version": ctx.policy_version}
    event_id = event_id_for(ctx.case_id, action, step or f"v{new_version}")
    action_row = dict(
        case_id=ctx.case_id, county_code=ctx.county_code, action=action.value, actor_id=actor.person_id if actor else None,
        actor_name=actor.name if actor else "系统", actor_role=actor.role if actor else "system",
        from_state=before.state.value if before else None, to_state=case.state.value, ladder_level=case.level, note=note,
        details=details, as_of=as_of, acted_at=now, event_id=str(event_id))
    due = case.due
    level_name = name_of_level(case.level, case.target_kind)
    title = ctx.project_name or ctx.project_code or ctx.project_id
    # Nobody replied when the system moves a case to review (its condition cleared, or its period ended): the note says why.
    what = note if actor is None and action is CaseAction.replied else ACTION_TEXT[action]
    summary = f"督办单L{case.level}（{level_name}）{title}：{what}" + (f"，请于{due.due.isoformat()}前{case.due_for}" if due else "")
    event = CaseChanged(
        event_id=event_id, occurred_at=now, county_code=ctx.county_code, correlation_id=ctx.correlation_id,
        case_id=uuid.UUID(ctx.case_id), escalation_id=uuid.UUID(ctx.escalation_id), project_id=uuid.UUID(ctx.project_id),
        project_code=ctx.project_code, project_name=ctx.project_name, rule_id=ctx.rule_id, action=action, state=case.state,
        ladder_level=case.level, level_name=level_name, target_kind=case.target_kind, target_name=case.target_name,
        due_on=due.due if due else None, due_provisional=bool(due and due.provisional),
        clocks_paused=case.paused, actor=actor.person_id if actor else None, note=note[:2000],
        recipients=tuple(Recipient(kind=a.kind, name=a.name, role=a.role) for a in _tell(action, case, ctx.parties, before)), summary=summary,
    )
    return Step(new_version, values, action_row, event)


async def record(session: AsyncSession, ctx: Context, version: int | None, before: Case | None, case: Case, action: CaseAction,
                 actor: Actor | None, note: str, details: dict[str, Any], as_of: date, now: datetime,
                 step: str | None = None) -> CaseChanged:
    """One transaction's worth of a step; `version` None inserts the case, else it must still be the stored version."""
    done = step_of(ctx, version, before, case, action, actor, note, details, as_of, now, step)
    if version is None:
        await session.execute(insert(cases).values(done.values))
    else:
        result = await session.execute(update(cases).where(cases.c.case_id == ctx.case_id, cases.c.version == version).values(done.values))
        if result.rowcount != 1:
            raise Conflict(f"case {ctx.case_id} changed meanwhile; read it again")
    await session.execute(insert(case_actions).values(done.action_row))
    await add_to_outbox(session, outbox, [(done.event, subjects.case(ctx.county_code, action.value))], now)
    return done.event


async def record_stored(session: AsyncSession, steps: Sequence[Step], now: datetime) -> None:
    """record() for many steps of stored cases, a statement per table for the lot. The caller has read the cases FOR
    UPDATE in this transaction (SQLite: holding the write lock), so the version guard holds; where the driver counts an
    executemany's rows (SQLite) it is checked all the same."""
    if not steps:
        return
    result = await session.execute(_updating_guarded(tuple(steps[0].values)), [
        {**step.values, "guard_case_id": step.action_row["case_id"], "guard_version": step.version - 1} for step in steps])
    if session.bind.dialect.supports_sane_multi_rowcount and result.rowcount != len(steps):
        raise Conflict(f"{len(steps) - result.rowcount} of {len(steps)} cases changed meanwhile; read them again")
    await _log_and_publish(session, steps, now)


async def record_new(session: AsyncSession, steps: Sequence[Step], now: datetime) -> None:
    """record() for many new cases (an import's first sweep opens them together), a statement per table for the lot."""
    if steps:
        await session.execute(inserting(cases), [step.values for step in steps])
        await _log_and_publish(session, steps, now)


async def _log_and_publish(session: AsyncSession, steps: Sequence[Step], now: datetime) -> None:
    await session.execute(inserting(case_actions), [step.action_row for step in steps])
    await add_to_outbox(session, outbox, [(step.event, subjects.case(step.event.county_code, step.event.action.value)) for step in steps], now)


@cache
def _updating_guarded(columns: tuple[str, ...]) -> Any:
    return (update(cases).where(cases.c.case_id == bindparam("guard_case_id"), cases.c.version == bindparam("guard_version"))
            .values({name: bindparam(name) for name in columns}))


async def snapshots_of(session: AsyncSession, project_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """snapshot_of for many projects in one read."""
    return dict((await session.execute(SNAPSHOTS_OF, {"ids": list(project_ids)})).all())


async def handlers_of(session: AsyncSession, counties: Sequence[str]) -> dict[tuple[str, str], str]:
    """The first active handler (by login) of every department of these counties, as letter_draft picks one."""
    found: dict[tuple[str, str], str] = {}
    for county, department, name in await session.execute(HANDLERS_OF, {"counties": list(counties)}):
        found.setdefault((county, department), name)
    return found


def _audience_of_recipients(recipients: list[dict[str, str]] | None) -> tuple[Audience, ...]:
    return tuple(Audience(r["kind"], r["name"], r.get("role", "action")) for r in recipients or ())  # type: ignore[arg-type]


async def context_of(session: AsyncSession, row: Any, escalation: Any, policy: Policy, case_policy: CasePolicy) -> Context:
    """The context of a stored case: its project's facts as known now, and the rule's recipients as a fallback."""
    return context_from(row, escalation, await snapshot_of(session, row["project_id"]), policy, case_policy)


def context_from(row: Any, escalation: Any, snapshot: dict[str, Any], policy: Policy, case_policy: CasePolicy) -> Context:
    """context_of with the project's facts already read."""
    parties = parties_of(snapshot, policy, case_policy, _audience_of_recipients(escalation["recipients"] if escalation else None),
                         escalation["evidence"] if escalation else None)
    return Context(row["case_id"], row["escalation_id"], row["project_id"], row["county_code"], row["rule_id"], row["policy_version"],
                   snapshot.get("project_code"), snapshot.get("name"), row["project_id"], parties)
