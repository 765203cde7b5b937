"""Use-cases of meetings and their assignments: schedule, draft and edit the agenda, decide, minute, and the clock."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.domain.policy import Policy
from services.escalation.problems import agenda as agendas
from services.escalation.problems import assignments as life
from services.escalation.problems import lifecycle as problem_life
from services.escalation.problems.policy import ProblemPolicy
from services.escalation.problems.store import (
    SYSTEM,
    Actor,
    Step,
    assignment_of,
    assignment_values,
    next_document_number,
    problem_of,
    record,
)
from services.escalation.problems.work import parties_of
from services.escalation.problems.work import write as write_problem
from services.escalation.tables import assignments, cases, meetings, problems, project_facts
from shared.contracts import CoordinationChanged

ACTION_TEXT = {"scheduled": "已安排", "agenda_edited": "议题已调整", "decided": "会议已作出决定", "minuted": "会议纪要已印发",
               "opened": "交办", "acknowledged": "已签收", "reported": "已报告落实情况", "verified": "已核实", "rejected": "核实未通过，继续落实",
               "closed": "已销号", "climbed": "逾期未落实，升级督促"}


class Refused(Exception):
    """A request that does not fit the meeting as it stands (the message is Chinese, for the person)."""


@dataclass(frozen=True, slots=True)
class Decision:
    item_id: str
    decision: str
    handler_department: str
    co_departments: tuple[str, ...]
    deadline: date
    follow_up_leader: str


async def _names(session: AsyncSession, county_code: str) -> dict[str, str]:
    rows = await session.execute(select(project_facts.c.project_id, project_facts.c.snapshot).where(project_facts.c.county_code == county_code))
    return {pid: (snap or {}).get("name") or (snap or {}).get("project_code") or "" for pid, snap in rows}


def _attendees(row: dict[str, Any]) -> tuple[tuple[str, str, str], ...]:
    return tuple((a["kind"], a["name"], "action") for a in row["attendees"])


def meeting_summary(row: dict[str, Any], action: str) -> str:
    return f"{row['title']}（{row['held_on'].isoformat()}，主持：{row['chair']}）：{ACTION_TEXT[action]}，议题{len(row['agenda'])}项"


async def draft_agenda(session: AsyncSession, county_code: str, kind: str, meeting_id: str, held_on: date, red_months: int) -> list[dict[str, Any]]:
    found = [dict(r) for r in (await session.execute(select(problems).where(problems.c.county_code == county_code,
                                                                              problems.c.state.in_(problem_life.OPEN)))).mappings()]
    open_cases = [dict(r) for r in (await session.execute(select(cases).where(cases.c.county_code == county_code,
                                                                              cases.c.state != "closed"))).mappings()]
    earlier = [dict(r) for r in (await session.execute(select(assignments).where(
        assignments.c.county_code == county_code, assignments.c.state.in_(life.OPEN)))).mappings()]
    return agendas.draft(kind, meeting_id, held_on, found, open_cases, earlier, red_months, await _names(session, county_code))


async def schedule(session: AsyncSession, *, county_code: str, kind: str, title: str, held_on: date, chair: str,
                   attendees: list[dict[str, str]], actor: Actor, red_months: int, as_of: date, now: datetime) -> CoordinationChanged:
    if kind not in agendas.KINDS:
        raise Refused(f"会议类型应为{'、'.join(agendas.KINDS.values())}之一")
    meeting_id = str(uuid.uuid4())
    row = {"meeting_id": meeting_id, "county_code": county_code, "kind": kind, "title": title, "held_on": held_on, "chair": chair,
           "attendees": attendees, "agenda": await draft_agenda(session, county_code, kind, meeting_id, held_on, red_months),
           "state": "scheduled", "minutes_number": None, "created_at": now}
    return await record(session, Step("meeting", meeting_id, county_code, "scheduled", row, None, None, _attendees(row)),
                        actor, as_of, now, meeting_summary(row, "scheduled"))


async def meeting_row(session: AsyncSession, county_code: str, meeting_id: str) -> dict[str, Any] | None:
    found = (await session.execute(select(meetings).where(meetings.c.meeting_id == meeting_id,
                                                          meetings.c.county_code == county_code))).mappings().first()
    return dict(found) if found else None


async def edit_agenda(session: AsyncSession, meeting: dict[str, Any], order: list[str], added: list[dict[str, Any]], policy: Policy,
                      problem_policy: ProblemPolicy, actor: Actor, as_of: date, now: datetime) -> CoordinationChanged:
    """The office's order of the items it keeps (`order`, by item id), then what it adds (drafted items of other levels)."""
    if meeting["state"] != "scheduled":
        raise Refused("会议已召开，议题不能再调整")
    by_id = {i["item_id"]: i for i in meeting["agenda"]}
    unknown = [i for i in order if i not in by_id]
    if unknown:
        raise Refused(f"议题中没有这一项：{unknown[0]}")
    kept = [by_id[i] for i in order] + [i for i in added if i["item_id"] not in order]
    removed = [i for i in meeting["agenda"] if i["item_id"] not in {k["item_id"] for k in kept}]
    row = {**meeting, "agenda": kept}
    for item in removed:
        if item["item_kind"] == "problem":  # off the agenda undecided: back on its own clock
            await _release_problem(session, item["item_id"], meeting, policy, problem_policy, actor, as_of, now)
    return await record(session, Step("meeting", meeting["meeting_id"], meeting["county_code"], "agenda_edited", {"agenda": kept},
                                      meeting["version"], meeting["state"], (), details={"removed": [i["item_id"] for i in removed]}),
                        actor, as_of, now, meeting_summary(row, "agenda_edited"))


async def _release_problem(session: AsyncSession, problem_id: str, meeting: dict[str, Any], policy: Policy, problem_policy: ProblemPolicy,
                           actor: Actor, as_of: date, now: datetime) -> None:
    row = (await session.execute(select(problems).where(problems.c.problem_id == problem_id))).mappings().first()
    if row is None or row["meeting_id"] != meeting["meeting_id"]:
        return
    before = problem_of(row)
    after = problem_life.off_agenda(before, as_of, problem_policy)
    snapshot = await session.scalar(select(project_facts.c.snapshot).where(project_facts.c.project_id == row["project_id"])) or {}
    await write_problem(session, dict(row), row["version"], before, after, "off_agenda", actor, parties_of(dict(row), snapshot, policy, problem_policy),
                        as_of, now, note=f"移出{meeting['title']}议题")


async def decide(session: AsyncSession, meeting: dict[str, Any], decision: Decision, policy: Policy, problem_policy: ProblemPolicy,
                 actor: Actor, as_of: date, now: datetime) -> list[CoordinationChanged]:
    """The meeting's decision on one item: an assignment (numbered 交办〔年〕N号) to the handler, the problem decided."""
    item = next((i for i in meeting["agenda"] if i["item_id"] == decision.item_id), None)
    if item is None:
        raise Refused("会议议题中没有这一项")
    if decision.deadline < meeting["held_on"]:
        raise Refused("办结期限不能早于会议日期")
    taken = await session.scalar(select(assignments.c.assignment_id).where(assignments.c.meeting_id == meeting["meeting_id"],
                                                                           assignments.c.item_id == decision.item_id))
    if taken:
        raise Refused("这一议题已作出决定")
    followers = life.Followers(decision.handler_department, decision.follow_up_leader, policy.scheduling_meeting)
    assignment = life.opened(followers, decision.deadline)
    assignment_id = str(uuid.uuid5(uuid.UUID(meeting["meeting_id"]), decision.item_id))
    number = await next_document_number(session, meeting["county_code"], "assignment", as_of.year, problem_policy.assignment_prefix)
    row = {"assignment_id": assignment_id, "county_code": meeting["county_code"], "meeting_id": meeting["meeting_id"],
           "item_id": decision.item_id, "item_kind": item["item_kind"], "project_id": item["project_id"], "number": number,
           "decision": decision.decision, "handler_department": decision.handler_department,
           "co_departments": list(decision.co_departments), "follow_up_leader": decision.follow_up_leader, "deadline": decision.deadline,
           "opened_on": as_of, **assignment_values(assignment)}
    told = (("department", decision.handler_department, "action"), *(("department", d, "informed") for d in decision.co_departments),
            ("leader", decision.follow_up_leader, "informed"))
    events = [await record(session, Step("assignment", assignment_id, meeting["county_code"], "opened", row, None, None, told,
                                         note=decision.decision, project_id=item["project_id"]), actor, as_of, now,
                           f"{number} {meeting['title']}交办：{decision.decision[:60]}，承办{decision.handler_department}，期限{decision.deadline.isoformat()}")]
    if item["item_kind"] == "problem":
        found = (await session.execute(select(problems).where(problems.c.problem_id == decision.item_id))).mappings().first()
        if found is not None and found["state"] in problem_life.OPEN:
            before = problem_of(found)
            after = problem_life.decided(before, assignment_id, decision.handler_department, decision.deadline)
            snapshot = await session.scalar(select(project_facts.c.snapshot).where(project_facts.c.project_id == found["project_id"])) or {}
            events.append(await write_problem(session, dict(found), found["version"], before, after, "decided", actor,
                                              parties_of(dict(found), snapshot, policy, problem_policy), as_of, now,
                                              note=decision.decision, details={"assignment": number}))
    if meeting["state"] == "scheduled":
        events.append(await record(session, Step("meeting", meeting["meeting_id"], meeting["county_code"], "decided", {"state": "held"},
                                                 meeting["version"], meeting["state"], ()), actor, as_of, now, meeting_summary(meeting, "decided")))
    return events


async def publish_minutes(session: AsyncSession, meeting: dict[str, Any], problem_policy: ProblemPolicy, actor: Actor, as_of: date,
                          now: datetime) -> CoordinationChanged:
    """会议纪要: numbered once per meeting (纪要〔年〕N号); told to every attendee."""
    if meeting["minutes_number"]:
        raise Refused(f"会议纪要已印发：{meeting['minutes_number']}")
    if meeting["state"] != "held":
        raise Refused("会议尚未作出任何决定，不能印发纪要")
    number = await next_document_number(session, meeting["county_code"], "minutes", meeting["held_on"].year, problem_policy.minutes_prefix)
    return await record(session, Step("meeting", meeting["meeting_id"], meeting["county_code"], "minuted", {"minutes_number": number},
                                      meeting["version"], meeting["state"], _attendees(meeting)), actor, as_of, now,
                        f"{number} " + meeting_summary(meeting, "minuted"))


async def step_assignment(session: AsyncSession, row: dict[str, Any], action: str, after: life.Assignment, policy: Policy,
                          problem_policy: ProblemPolicy, actor: Actor, as_of: date, now: datetime, note: str = "",
                          details: dict[str, Any] | None = None) -> list[CoordinationChanged]:
    """Who hears: the office and the follow-up leader of what the handler does; the new level's people of a climb.
    Closing the assignment of a problem reports the problem solved, with what was done; the office then closes it (销号)."""
    before = assignment_of(row)
    office = policy.project_office
    if action in ("acknowledged", "reported"):
        told = (("office", office, "action" if action == "reported" else "informed"), ("leader", row["follow_up_leader"], "informed"))
    elif action == "climbed":
        told = ((after.target_kind, after.target_name, "action"), ("department", row["handler_department"], "informed"))
    else:
        told = (("department", row["handler_department"], "informed"),)
    events = [await record(session, Step("assignment", row["assignment_id"], row["county_code"], action, {**assignment_values(after)},
                                         row["version"], before.state, told, note, details, row["project_id"]), actor, as_of, now,
                           f"{row['number']}：{row['decision'][:60]}——{ACTION_TEXT[action]}，{life.LEVEL_NAMES[after.level]}：{after.target_name}"
                           + (f"，期限{after.due_on.isoformat()}" if after.due_on else ""))]
    if action == "closed" and row["item_kind"] == "problem":
        events += await _problem_solved(session, row, after, policy, problem_policy, actor, as_of, now)
    return events


async def _problem_solved(session: AsyncSession, row: dict[str, Any], assignment: life.Assignment, policy: Policy,
                          problem_policy: ProblemPolicy, actor: Actor, as_of: date, now: datetime) -> list[CoordinationChanged]:
    found = (await session.execute(select(problems).where(problems.c.problem_id == row["item_id"]))).mappings().first()
    if found is None or found["state"] not in problem_life.OPEN or found["assignment_id"] != row["assignment_id"]:
        return []
    report = assignment.report or {}
    before = problem_of(found)
    after = problem_life.solve(before, report.get("what_done", row["decision"]), report.get("evidence", ""))
    snapshot = await session.scalar(select(project_facts.c.snapshot).where(project_facts.c.project_id == found["project_id"])) or {}
    return [await write_problem(session, dict(found), found["version"], before, after, "solved", actor,
                                parties_of(dict(found), snapshot, policy, problem_policy), as_of, now,
                                note=f"{row['number']}已销号：{report.get('what_done', '')}", details={"assignment": row["number"]})]


async def climb_late_assignments(session: AsyncSession, county_code: str | None, policy_for: Any, problem_policy_for: Any, as_of: date,
                                 now: datetime) -> list[CoordinationChanged]:
    rows = (await session.execute(select(assignments).where(
        assignments.c.due_on < as_of, assignments.c.state.in_(("opened", "acknowledged")), assignments.c.level < life.TOP,
        *([assignments.c.county_code == county_code] if county_code else []))
        .order_by(assignments.c.assignment_id))).mappings().all()
    events = []
    for row in rows:
        followers = life.Followers(row["handler_department"], row["follow_up_leader"], policy_for(row["county_code"]).scheduling_meeting)
        after = life.climbed(assignment_of(row), as_of, followers, problem_policy_for(row["county_code"]).assignment_climb_workdays)
        if after is not None:
            events += await step_assignment(session, dict(row), "climbed", after, policy_for(row["county_code"]),
                                            problem_policy_for(row["county_code"]), SYSTEM, as_of, now,
                                            note=f"期限{row['due_on'].isoformat()}已过，未报告落实情况")
    return events
