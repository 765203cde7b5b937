"""Use-cases of the problem list: problems from the ledgers, people's steps, and the clock's climbs."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.domain.policy import Policy
from services.escalation.problems import lifecycle as life
from services.escalation.problems.policy import ProblemPolicy, ProblemPolicyFor
from services.escalation.problems.store import SYSTEM, Actor, Step, problem_id_for, problem_of, problem_values, record
from services.escalation.tables import problems, project_facts
from shared.contracts import CoordinationChanged

PolicyFor = Callable[[str], Policy]
ACTION_TEXT = {
    "raised": "提出问题", "still_reported": "台账再次报告", "accepted": "已受理", "solving": "正在解决", "solved": "已解决",
    "closed": "已销号", "reopened": "重新打开", "submitted": "提交上一级协调", "handed_back": "交回下一级办理",
    "on_agenda": "列入会议议题", "off_agenda": "移出会议议题", "decided": "会议已交办", "climbed": "逾期未解决，升级",
}


def parties_of(row: dict[str, Any], snapshot: dict[str, Any], policy: Policy, problem_policy: ProblemPolicy) -> life.Parties:
    return life.Parties(office=policy.project_office, department=row.get("responsible_department") or snapshot.get("lead_department"),
                        leader=row.get("leader") or snapshot.get("leader"), joint_meeting=problem_policy.joint_meeting,
                        scheduling_meeting=policy.scheduling_meeting)


def normalised(text: str) -> str:
    """For matching a problem written again with other spacing or punctuation widths; never what is stored or shown."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).rstrip("。；;.")


def told(step: str, before: life.Problem | None, after: life.Problem, parties: life.Parties) -> tuple[tuple[str, str, str], ...]:
    """A new level's people act; the old level and the office are told. The office hears what targets do."""
    target = (after.target_kind, after.target_name, "action")
    office = ("office", parties.office, "informed")
    if step in ("raised", "submitted", "handed_back", "climbed", "reopened", "decided"):
        old = (before.target_kind, before.target_name, "informed") if before and before.target_name != after.target_name else None
        return tuple(r for r in (target, old, office) if r)
    if step == "solved":
        return (("office", parties.office, "action"),)
    if step in ("accepted", "solving", "still_reported"):
        return (office,) if step != "still_reported" else ((after.target_kind, after.target_name, "informed"), office)
    return ((after.target_kind, after.target_name, "informed"),)


def summary_of(step: str, row: dict[str, Any], after: life.Problem, project_name: str | None) -> str:
    due = f"，期限{after.due_on.isoformat()}" if after.due_on else ""
    months = f"（已连续报告{after.months_reported}个月）" if step == "still_reported" else ""
    return f"问题【{row['category']}】{project_name or ''}：{row['description'][:60]}——{ACTION_TEXT[step]}{months}，{life.LEVEL_NAMES[after.level]}：{after.target_name}{due}"


async def write(session: AsyncSession, row: dict[str, Any], version: int | None, before: life.Problem | None, after: life.Problem,
                step: str, actor: Actor, parties: life.Parties, as_of: date, now: datetime, note: str = "",
                details: dict[str, Any] | None = None, extra: dict[str, Any] | None = None, step_key: str | None = None) -> CoordinationChanged:
    snapshot = await _snapshot(session, row["project_id"])
    values = {**(extra or {}), **problem_values(after)}
    return await record(session, Step("problem", row["problem_id"], row["county_code"], step, values, version,
                                      before.state if before else None, told(step, before, after, parties), note, details,
                                      row["project_id"], step_key), actor, as_of, now, summary_of(step, row, after, snapshot.get("name")))


async def _snapshot(session: AsyncSession, project_id: str) -> dict[str, Any]:
    return await session.scalar(select(project_facts.c.snapshot).where(project_facts.c.project_id == project_id)) or {}


async def raise_problem(session: AsyncSession, *, project_id: str, county_code: str, key: str, category: str, description: str,
                        source: str, raised_by: Actor, responsible_department: str | None, leader: str | None, month: str | None,
                        policy: Policy, problem_policy: ProblemPolicy, as_of: date, now: datetime) -> CoordinationChanged | None:
    """A new problem at level 1; None when the project already has it (same key, or the same text still open)."""
    problem_id = problem_id_for(project_id, key)
    existing = (await session.execute(select(problems).where(problems.c.project_id == project_id))).mappings().all()
    if any(r["problem_id"] == problem_id or (r["state"] in life.OPEN and normalised(r["description"]) == normalised(description))
           for r in existing):
        return None
    row = {"problem_id": problem_id, "county_code": county_code, "project_id": project_id, "problem_key": key[:100],
           "category": category if category in problem_policy.categories else "其他", "description": description,
           "source": source, "raised_by": raised_by.name, "responsible_department": responsible_department, "leader": leader,
           "opened_on": as_of}
    parties = parties_of(row, await _snapshot(session, project_id), policy, problem_policy)
    row |= {"responsible_department": parties.department, "leader": parties.leader}  # who it belongs to, even above their level
    after = life.raised(as_of, parties, problem_policy, month)
    return await write(session, row, None, None, after, "raised", raised_by, parties, as_of, now, details={"source": source},
                       extra=row, step_key="raised")


async def take_reported(session: AsyncSession, snapshots: Iterable[tuple[str, str, dict[str, Any]]], policy_for: PolicyFor,
                        problem_policy_for: ProblemPolicyFor, as_of: date, now: datetime) -> list[CoordinationChanged]:
    """The ledgers' 存在问题: a new key raises a problem; a key (or an open problem's text) seen for a later month is
    "still reported" (reopened if it had been closed), never a second problem."""
    events: list[CoordinationChanged] = []
    for project_id, county_code, snapshot in snapshots:
        reported = snapshot.get("reported_problems") or ()
        if not reported:
            continue
        policy, problem_policy = policy_for(county_code), problem_policy_for(county_code)
        stored = {r["problem_id"]: dict(r) for r in (await session.execute(
            select(problems).where(problems.c.project_id == project_id))).mappings()}
        by_text = {normalised(r["description"]): r for r in stored.values() if r["state"] in life.OPEN}
        for item in reported:
            found = stored.get(problem_id_for(project_id, item["key"])) or by_text.get(normalised(item["description"]))
            row = await _fresh(session, found["problem_id"]) if found else None  # an earlier item of this ledger may have moved it
            if row is None:
                event = await raise_problem(
                    session, project_id=project_id, county_code=county_code, key=item["key"], category=item.get("category") or "其他",
                    description=item["description"], source="ledger", raised_by=Actor(None, snapshot.get("name") or "项目台账", "ledger"),
                    responsible_department=item.get("responsible_department"), leader=None, month=item.get("month"),
                    policy=policy, problem_policy=problem_policy, as_of=as_of, now=now)
                if event:
                    events.append(event)
                    stored[str(event.item_id)] = await _fresh(session, str(event.item_id))
                continue
            if item.get("month"):
                events.extend(await _reported_again(session, row, item["month"], snapshot, policy, problem_policy, as_of, now))
    return events


async def _fresh(session: AsyncSession, problem_id: str) -> dict[str, Any]:
    return dict((await session.execute(select(problems).where(problems.c.problem_id == problem_id))).mappings().one())


async def _reported_again(session: AsyncSession, row: dict[str, Any], month: str, snapshot: dict[str, Any], policy: Policy,
                          problem_policy: ProblemPolicy, as_of: date, now: datetime) -> list[CoordinationChanged]:
    before = problem_of(row)
    after = life.still_reported(before, month)
    if after is None:
        return []
    parties = parties_of(row, snapshot, policy, problem_policy)
    actor = Actor(None, snapshot.get("name") or "项目台账", "ledger")
    events = [await write(session, row, row["version"], before, after, "still_reported", actor, parties, as_of, now,
                          details={"month": month}, step_key=month)]
    if before.state == "closed":  # reported again after 销号: not solved after all
        reopened = life.reopen(after, as_of, problem_policy)
        events.append(await write(session, row, row["version"] + 1, after, reopened, "reopened", SYSTEM, parties, as_of, now,
                                  note=f"销号后{month}台账仍报告此问题", step_key=f"reported-{month}"))
    return events


async def climb_late(session: AsyncSession, county_code: str | None, policy_for: PolicyFor, problem_policy_for: ProblemPolicyFor,
                     as_of: date, now: datetime) -> list[CoordinationChanged]:
    """The clock: an open problem past its level's deadline (no meeting or assignment holding it) moves up one level."""
    rows = (await session.execute(select(problems).where(
        problems.c.due_on < as_of, problems.c.state.in_(life.OPEN), problems.c.level < life.TOP,
        problems.c.meeting_id.is_(None), problems.c.assignment_id.is_(None), *([problems.c.county_code == county_code] if county_code else []))
        .order_by(problems.c.problem_id))).mappings().all()
    events = []
    for row in rows:
        before = problem_of(row)
        parties = parties_of(row, await _snapshot(session, row["project_id"]), policy_for(row["county_code"]),
                             problem_policy_for(row["county_code"]))
        after = life.climbed(before, as_of, parties, problem_policy_for(row["county_code"]))
        if after is not None:
            events.append(await write(session, dict(row), row["version"], before, after, "climbed", SYSTEM, parties, as_of, now,
                                      note=f"{life.LEVEL_NAMES[before.level]}期限{before.due_on}已过"))
    return events
