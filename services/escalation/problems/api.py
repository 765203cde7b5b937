"""The problems and meetings HTTP API (/api/problems, /api/meetings, /api/assignments), under a person's bearer token.

Errors as for cases: 401 unknown token; 403 the role or name may not see or do this; 404 nothing of that id in the
person's county (another county's is never revealed); 409 not allowed as the item stands; 422 a malformed body.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.escalation.cases.bearer import bearer_person
from services.escalation.cases.people import Person
from services.escalation.cases.policy import CasePolicyFor
from services.escalation.cases.policy import configured as configured_cases
from services.escalation.cases.referrals import acknowledge as acknowledge_referral
from services.escalation.domain.policy import Policy
from services.escalation.problems import assignments as assignment_life
from services.escalation.problems import lifecycle as life
from services.escalation.problems import meetings as meeting_work
from services.escalation.problems.access import can_see_assignment, can_see_problem, is_target, may_act_on_assignment, may_act_on_problem
from services.escalation.problems.minutes import render_minutes_docx, render_minutes_html
from services.escalation.problems.policy import ProblemPolicyFor
from services.escalation.problems.policy import configured as configured_problems
from services.escalation.problems.store import Actor, Conflict, assignment_of, problem_of
from services.escalation.problems.work import parties_of, raise_problem, write
from services.escalation.tables import assignments, coordination_actions, meetings, problems, project_facts, referrals
from shared.clock import Clock, beijing_today
from shared.db import lock_for_writing
from shared.wording import role_name


class Note(BaseModel):
    note: str = Field(default="", max_length=2000)


class NewProblem(BaseModel):
    project_id: str = Field(max_length=36)
    category: str = Field(max_length=20)
    description: str = Field(min_length=1, max_length=2000)
    responsible_department: str | None = Field(default=None, max_length=100)
    leader: str | None = Field(default=None, max_length=100)
    source: Literal["console", "api", "cli", "case"] = "api"


class Reason(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class Solved(BaseModel):
    what_done: str = Field(min_length=1, max_length=4000)
    evidence: str = Field(default="", max_length=4000)


class OnAgenda(BaseModel):
    meeting_id: str = Field(max_length=36)


class Attendee(BaseModel):
    kind: Literal["department", "leader", "office"]
    name: str = Field(min_length=1, max_length=100)


class NewMeeting(BaseModel):
    kind: Literal["joint", "scheduling", "topic"]
    title: str = Field(min_length=1, max_length=200)
    held_on: date
    chair: str = Field(min_length=1, max_length=100)
    attendees: list[Attendee] = Field(default_factory=list, max_length=200)


class AgendaEdit(BaseModel):
    order: list[str] = Field(max_length=500, description="item ids to keep, in the order of the meeting")
    add_problems: list[str] = Field(default_factory=list, max_length=100)


class NewDecision(BaseModel):
    item_id: str = Field(max_length=36)
    decision: str = Field(min_length=1, max_length=4000)
    handler_department: str = Field(min_length=1, max_length=100)
    co_departments: list[str] = Field(default_factory=list, max_length=20)
    deadline: date
    follow_up_leader: str = Field(min_length=1, max_length=100)


class Verification(Note):
    accepted: bool


ProblemStep = Callable[[life.Problem, date, life.Parties, Any], life.Problem]


def _not_found(what: str) -> HTTPException:
    return HTTPException(404, f"本县没有该{what}")


def _refused(who: Person, what: str) -> HTTPException:
    return HTTPException(403, f"{role_name(who.role)}不能{what}")


def build_problem_api(sessions: async_sessionmaker, clock: Clock, policy_for: Callable[[str], Policy] | None = None,
                      problem_policy_for: ProblemPolicyFor | None = None, case_policy_for: CasePolicyFor | None = None,
                      on_committed: Callable[[], None] | None = None) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["problems"])
    person = bearer_person(sessions)

    def policies(county_code: str) -> tuple[Policy, Any]:
        return (policy_for(county_code) if policy_for else Policy()), (problem_policy_for or configured_problems())(county_code)

    def actor_of(who: Person) -> Actor:
        return Actor(who.person_id, who.name, who.role)

    async def history(session: AsyncSession, item_id: str) -> list[dict[str, Any]]:
        return [dict(a) for a in (await session.execute(select(coordination_actions).where(coordination_actions.c.item_id == item_id)
                                                        .order_by(coordination_actions.c.id))).mappings()]

    async def problem_row(session: AsyncSession, who: Person, problem_id: str) -> dict[str, Any]:
        row = (await session.execute(select(problems).where(problems.c.problem_id == problem_id,
                                                            problems.c.county_code == who.county_code))).mappings().first()
        if row is None:
            raise _not_found("问题")
        if not can_see_problem(who, dict(row)):
            raise HTTPException(403, "该问题不由本部门或本人负责")
        return dict(row)

    async def shown(session: AsyncSession, who: Person, problem_id: str) -> dict[str, Any]:
        """A problem as the API shows it: its row, its project's name and its level's name."""
        row = await problem_row(session, who, problem_id)
        names = await _project_names(session, {row["project_id"]})
        return {**row, "project_name": names.get(row["project_id"]), "level_name": life.LEVEL_NAMES[row["level"]]}

    async def committed(work: Callable[[AsyncSession], Any]) -> Any:
        try:
            async with sessions() as session, session.begin():
                await lock_for_writing(session)
                result = await work(session)
        except Conflict as exc:
            raise HTTPException(409, str(exc)) from exc
        except (life.NotAllowed, assignment_life.NotAllowed, meeting_work.Refused) as exc:
            raise HTTPException(409, str(exc)) from exc
        if on_committed:
            on_committed()
        return result

    async def problem_step(who: Person, problem_id: str, action: str, what: str, step: ProblemStep, note: str = "",
                           details: dict[str, Any] | None = None) -> dict[str, Any]:
        as_of = beijing_today(clock)

        async def work(session: AsyncSession) -> dict[str, Any]:
            row = await problem_row(session, who, problem_id)
            if not may_act_on_problem(who, row, action):
                raise _refused(who, what + "此问题")
            policy, problem_policy = policies(who.county_code)
            snapshot = await session.scalar(select(project_facts.c.snapshot).where(project_facts.c.project_id == row["project_id"])) or {}
            parties = parties_of(row, snapshot, policy, problem_policy)
            before = problem_of(row)
            after = step(before, as_of, parties, problem_policy)
            await write(session, row, row["version"], before, after, action, actor_of(who), parties, as_of, clock.now(), note, details)
            return await shown(session, who, problem_id)
        return {"problem": await committed(work)}

    @router.get("/problem-categories")
    async def categories(who: Person = Depends(person)) -> dict[str, Any]:
        """The county's categories, in its order (the console's form to raise a problem offers these)."""
        return {"categories": list(policies(who.county_code)[1].categories)}

    @router.get("/problems")
    async def list_problems(state: str | None = None, level: int | None = None, category: str | None = None, project_id: str | None = None,
                            mine: bool = False, overdue: bool = False, who: Person = Depends(person)) -> dict[str, Any]:
        query = select(problems).where(problems.c.county_code == who.county_code)
        for column, value in ((problems.c.state, state), (problems.c.level, level), (problems.c.category, category),
                              (problems.c.project_id, project_id)):
            if value is not None:
                query = query.where(column == value)
        if overdue:
            query = query.where(problems.c.due_on < beijing_today(clock), problems.c.state.in_(life.OPEN))
        async with sessions() as session:
            rows = [dict(r) for r in (await session.execute(query.order_by(problems.c.due_on, problems.c.problem_id))).mappings()]
            names = await _project_names(session, {r["project_id"] for r in rows})
        rows = [r for r in rows if can_see_problem(who, r) and (not mine or _is_mine(who, r))]
        return {"problems": [{**r, "project_name": names.get(r["project_id"]), "level_name": life.LEVEL_NAMES[r["level"]]} for r in rows]}

    @router.get("/problems/{problem_id}")
    async def get_problem(problem_id: str, who: Person = Depends(person)) -> dict[str, Any]:
        async with sessions() as session:
            return {"problem": await shown(session, who, problem_id), "actions": await history(session, problem_id)}

    @router.post("/problems", status_code=201)
    async def new_problem(body: NewProblem, who: Person = Depends(person)) -> dict[str, Any]:
        if who.role == "readonly":
            raise _refused(who, "提出问题")
        as_of, now = beijing_today(clock), clock.now()

        async def work(session: AsyncSession) -> dict[str, Any]:
            facts = await session.scalar(select(project_facts.c.snapshot).where(project_facts.c.project_id == body.project_id,
                                                                                 project_facts.c.county_code == who.county_code))
            if facts is None:
                raise _not_found("项目")
            policy, problem_policy = policies(who.county_code)
            if body.category not in problem_policy.categories:
                raise HTTPException(422, f"问题类别应为{'、'.join(problem_policy.categories)}之一：{body.category}")
            department = body.responsible_department or (who.department if who.role == "department" else None)
            event = await raise_problem(session, project_id=body.project_id, county_code=who.county_code, key=f"{body.source}:{body.description}",
                                        category=body.category, description=body.description, source=body.source, raised_by=actor_of(who),
                                        responsible_department=department, leader=body.leader, month=None, policy=policy,
                                        problem_policy=problem_policy, as_of=as_of, now=now)
            if event is None:
                raise HTTPException(409, "该项目已有相同的未解决问题")
            return await shown(session, who, str(event.item_id))
        return {"problem": await committed(work)}

    @router.post("/problems/{problem_id}/accept")
    async def accept(problem_id: str, body: Note, who: Person = Depends(person)) -> dict[str, Any]:
        return await problem_step(who, problem_id, "accepted", "受理", lambda p, d, parties, pp: life.accept(p), body.note)

    @router.post("/problems/{problem_id}/start")
    async def start(problem_id: str, body: Note, who: Person = Depends(person)) -> dict[str, Any]:
        return await problem_step(who, problem_id, "solving", "开始解决", lambda p, d, parties, pp: life.start_solving(p), body.note)

    @router.post("/problems/{problem_id}/solve")
    async def solve(problem_id: str, body: Solved, who: Person = Depends(person)) -> dict[str, Any]:
        return await problem_step(who, problem_id, "solved", "报解决", lambda p, d, parties, pp: life.solve(p, body.what_done, body.evidence),
                                  body.what_done, body.model_dump())

    @router.post("/problems/{problem_id}/close")
    async def close(problem_id: str, body: Note, who: Person = Depends(person)) -> dict[str, Any]:
        return await problem_step(who, problem_id, "closed", "销号", lambda p, d, parties, pp: life.close(p, d), body.note)

    @router.post("/problems/{problem_id}/reopen")
    async def reopen(problem_id: str, body: Reason, who: Person = Depends(person)) -> dict[str, Any]:
        return await problem_step(who, problem_id, "reopened", "重新打开", lambda p, d, parties, pp: life.reopen(p, d, pp), body.reason)

    @router.post("/problems/{problem_id}/submit")
    async def submit(problem_id: str, body: Reason, who: Person = Depends(person)) -> dict[str, Any]:
        return await problem_step(who, problem_id, "submitted", "提交上一级", lambda p, d, parties, pp: life.submit_up(p, d, parties, pp),
                                  body.reason, {"reason": body.reason})

    @router.post("/problems/{problem_id}/hand-back")
    async def hand_back(problem_id: str, body: Reason, who: Person = Depends(person)) -> dict[str, Any]:
        return await problem_step(who, problem_id, "handed_back", "交回下一级", lambda p, d, parties, pp: life.hand_back(p, d, parties, pp),
                                  body.reason, {"instruction": body.reason})

    @router.post("/problems/{problem_id}/agenda")
    async def on_agenda(problem_id: str, body: OnAgenda, who: Person = Depends(person)) -> dict[str, Any]:
        """A leader (or the office) puts the problem on a scheduled meeting's agenda."""
        as_of = beijing_today(clock)

        async def work(session: AsyncSession) -> dict[str, Any]:
            row = await problem_row(session, who, problem_id)
            if not may_act_on_problem(who, row, "on_agenda") or who.role == "department":
                raise _refused(who, "将此问题列入会议议题")
            meeting = await meeting_work.meeting_row(session, who.county_code, body.meeting_id)
            if meeting is None:
                raise _not_found("会议")
            if meeting["state"] != "scheduled":
                raise HTTPException(409, "会议已召开，不能再增加议题")
            policy, problem_policy = policies(who.county_code)
            snapshot = await session.scalar(select(project_facts.c.snapshot).where(project_facts.c.project_id == row["project_id"])) or {}
            parties = parties_of(row, snapshot, policy, problem_policy)
            before = problem_of(row)
            after = life.put_on_agenda(before, meeting["meeting_id"], meeting_work.agendas.LEVEL_OF[meeting["kind"]], as_of, parties)
            await write(session, row, row["version"], before, after, "on_agenda", actor_of(who), parties, as_of, clock.now(),
                        note=meeting["title"], details={"meeting_id": meeting["meeting_id"]})
            names = await _project_names(session, {row["project_id"]})
            item = meeting_work.agendas.item("problem", problem_id, f"【{row['category']}】{names.get(row['project_id'], '')}：{row['description'][:80]}",
                                             f"{who.name}提交会议研究", row["project_id"])
            if all(i["item_id"] != problem_id for i in meeting["agenda"]):
                await meeting_work.edit_agenda(session, meeting, [i["item_id"] for i in meeting["agenda"]], [item], policy, problem_policy,
                                               actor_of(who), as_of, clock.now())
            return await shown(session, who, problem_id)
        return {"problem": await committed(work)}

    # Meetings: the office schedules, edits the agenda, decides and minutes; everyone of the county may read them.
    def office_only(who: Person, what: str) -> None:
        if who.role != "office":
            raise _refused(who, what)

    async def meeting_of(session: AsyncSession, who: Person, meeting_id: str) -> dict[str, Any]:
        meeting = await meeting_work.meeting_row(session, who.county_code, meeting_id)
        if meeting is None:
            raise _not_found("会议")
        return meeting

    async def meeting_view(session: AsyncSession, who: Person, meeting_id: str) -> dict[str, Any]:
        meeting = await meeting_of(session, who, meeting_id)
        found = [dict(r) for r in (await session.execute(select(assignments).where(assignments.c.meeting_id == meeting_id)
                                                         .order_by(assignments.c.number))).mappings()]
        return {"meeting": meeting, "assignments": found, "actions": await history(session, meeting_id)}

    @router.get("/meetings")
    async def list_meetings(who: Person = Depends(person)) -> dict[str, Any]:
        async with sessions() as session:
            rows = [dict(r) for r in (await session.execute(select(meetings).where(meetings.c.county_code == who.county_code)
                                                            .order_by(meetings.c.held_on.desc(), meetings.c.meeting_id))).mappings()]
        return {"meetings": rows}

    @router.post("/meetings", status_code=201)
    async def new_meeting(body: NewMeeting, who: Person = Depends(person)) -> dict[str, Any]:
        office_only(who, "安排会议")
        red_months = (case_policy_for or configured_cases())(who.county_code).red_months

        async def work(session: AsyncSession) -> dict[str, Any]:
            event = await meeting_work.schedule(session, county_code=who.county_code, kind=body.kind, title=body.title, held_on=body.held_on,
                                                chair=body.chair, attendees=[a.model_dump() for a in body.attendees], actor=actor_of(who),
                                                red_months=red_months, as_of=beijing_today(clock), now=clock.now())
            return await meeting_view(session, who, str(event.item_id))
        return await committed(work)

    @router.get("/meetings/{meeting_id}")
    async def get_meeting(meeting_id: str, who: Person = Depends(person)) -> dict[str, Any]:
        async with sessions() as session:
            return await meeting_view(session, who, meeting_id)

    @router.post("/meetings/{meeting_id}/agenda")
    async def edit_agenda(meeting_id: str, body: AgendaEdit, who: Person = Depends(person)) -> dict[str, Any]:
        office_only(who, "调整会议议题")

        async def work(session: AsyncSession) -> dict[str, Any]:
            meeting = await meeting_of(session, who, meeting_id)
            policy, problem_policy = policies(who.county_code)
            drafted = await meeting_work.draft_agenda(session, who.county_code, "topic", meeting_id, meeting["held_on"], 10**6)
            wanted = set(body.add_problems)
            added = [i for i in drafted if i["item_id"] in wanted]
            missing = wanted - {i["item_id"] for i in added}
            for problem_id in sorted(missing):  # a problem of any level may be added by the office
                row = await problem_row(session, who, problem_id)
                added.append(meeting_work.agendas.item("problem", problem_id, f"【{row['category']}】{row['description'][:80]}",
                                                       "项目办增加议题", row["project_id"]))
            await meeting_work.edit_agenda(session, meeting, body.order, added, policy, problem_policy, actor_of(who),
                                           beijing_today(clock), clock.now())
            return await meeting_view(session, who, meeting_id)
        return await committed(work)

    @router.post("/meetings/{meeting_id}/decisions", status_code=201)
    async def decide(meeting_id: str, body: NewDecision, who: Person = Depends(person)) -> dict[str, Any]:
        office_only(who, "记录会议决定")

        async def work(session: AsyncSession) -> dict[str, Any]:
            meeting = await meeting_of(session, who, meeting_id)
            policy, problem_policy = policies(who.county_code)
            decision = meeting_work.Decision(body.item_id, body.decision, body.handler_department, tuple(body.co_departments), body.deadline,
                                             body.follow_up_leader)
            await meeting_work.decide(session, meeting, decision, policy, problem_policy, actor_of(who), beijing_today(clock), clock.now())
            return await meeting_view(session, who, meeting_id)
        return await committed(work)

    @router.post("/meetings/{meeting_id}/minutes", status_code=201)
    async def minutes(meeting_id: str, who: Person = Depends(person)) -> dict[str, Any]:
        office_only(who, "印发会议纪要")

        async def work(session: AsyncSession) -> dict[str, Any]:
            meeting = await meeting_of(session, who, meeting_id)
            await meeting_work.publish_minutes(session, meeting, policies(who.county_code)[1], actor_of(who), beijing_today(clock), clock.now())
            return await meeting_view(session, who, meeting_id)
        return await committed(work)

    @router.get("/meetings/{meeting_id}/minutes.{fmt}")
    async def minutes_document(meeting_id: str, fmt: Literal["docx", "html"], who: Person = Depends(person)) -> Response:
        async with sessions() as session:
            view = await meeting_view(session, who, meeting_id)
            names = await _project_names(session, {a["project_id"] for a in view["assignments"] if a["project_id"]})
        if not view["meeting"]["minutes_number"]:
            raise HTTPException(409, "会议纪要尚未印发")
        if fmt == "html":
            return Response(render_minutes_html(view["meeting"], view["assignments"], names), media_type="text/html; charset=utf-8")
        return Response(render_minutes_docx(view["meeting"], view["assignments"], names),
                        media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                        headers={"Content-Disposition": f"attachment; filename=minutes-{meeting_id}.docx"})

    # Assignments (交办事项): the handler signs and reports; the office verifies and closes.
    async def assignment_row(session: AsyncSession, who: Person, assignment_id: str) -> dict[str, Any]:
        row = (await session.execute(select(assignments).where(assignments.c.assignment_id == assignment_id,
                                                               assignments.c.county_code == who.county_code))).mappings().first()
        if row is None:
            raise _not_found("交办事项")
        if not can_see_assignment(who, dict(row)):
            raise HTTPException(403, "该交办事项不由本部门或本人承办")
        return dict(row)

    @router.get("/assignments")
    async def list_assignments(state: str | None = None, meeting_id: str | None = None, overdue: bool = False,
                               who: Person = Depends(person)) -> dict[str, Any]:
        query = select(assignments).where(assignments.c.county_code == who.county_code)
        if state:
            query = query.where(assignments.c.state == state)
        if meeting_id:
            query = query.where(assignments.c.meeting_id == meeting_id)
        if overdue:
            query = query.where(assignments.c.due_on < beijing_today(clock), assignments.c.state.in_(("opened", "acknowledged")))
        async with sessions() as session:
            rows = [dict(r) for r in (await session.execute(query.order_by(assignments.c.due_on, assignments.c.number))).mappings()]
        return {"assignments": [r for r in rows if can_see_assignment(who, r)]}

    @router.get("/assignments/{assignment_id}")
    async def get_assignment(assignment_id: str, who: Person = Depends(person)) -> dict[str, Any]:
        async with sessions() as session:
            return {"assignment": await assignment_row(session, who, assignment_id), "actions": await history(session, assignment_id)}

    async def assignment_step(who: Person, assignment_id: str, name: str, action: str, what: str,
                              step: Callable[[assignment_life.Assignment, date], assignment_life.Assignment], note: str = "",
                              details: dict[str, Any] | None = None) -> dict[str, Any]:
        async def work(session: AsyncSession) -> dict[str, Any]:
            row = await assignment_row(session, who, assignment_id)
            if not may_act_on_assignment(who, row, name):
                raise _refused(who, what + "此交办事项")
            as_of = beijing_today(clock)
            after = step(assignment_of(row), as_of)
            await meeting_work.step_assignment(session, row, action, after, *policies(who.county_code), actor_of(who), as_of, clock.now(),
                                               note, details)
            return await assignment_row(session, who, assignment_id)
        return {"assignment": await committed(work)}

    @router.post("/assignments/{assignment_id}/acknowledge")
    async def acknowledge(assignment_id: str, body: Note, who: Person = Depends(person)) -> dict[str, Any]:
        return await assignment_step(who, assignment_id, "acknowledge", "acknowledged", "签收", lambda a, d: assignment_life.acknowledge(a), body.note)

    @router.post("/assignments/{assignment_id}/report")
    async def report(assignment_id: str, body: Solved, who: Person = Depends(person)) -> dict[str, Any]:
        return await assignment_step(who, assignment_id, "report", "reported", "报告落实情况",
                                     lambda a, d: assignment_life.report(a, body.what_done, body.evidence), body.what_done, body.model_dump())

    @router.post("/assignments/{assignment_id}/verify")
    async def verify(assignment_id: str, body: Verification, who: Person = Depends(person)) -> dict[str, Any]:
        return await assignment_step(who, assignment_id, "verify", "verified" if body.accepted else "rejected", "核实",
                                     lambda a, d: assignment_life.verify(a, body.accepted), body.note, {"accepted": body.accepted})

    @router.post("/assignments/{assignment_id}/close")
    async def close_assignment(assignment_id: str, body: Note, who: Person = Depends(person)) -> dict[str, Any]:
        return await assignment_step(who, assignment_id, "close", "closed", "销号", lambda a, d: assignment_life.close(a, d), body.note)

    # Referrals (移送) to an oversight body: the office and readonly see them all, the body its own; the body signs for them.
    async def referral_row(session: AsyncSession, who: Person, referral_id: str) -> dict[str, Any]:
        row = (await session.execute(select(referrals).where(referrals.c.referral_id == referral_id,
                                                             referrals.c.county_code == who.county_code))).mappings().first()
        if row is None:
            raise _not_found("移送材料")
        if who.role not in ("office", "readonly") and not (who.role == "department" and who.department == row["target_name"]):
            raise HTTPException(403, "该移送材料不是移送本单位的")
        return dict(row)

    @router.get("/referrals")
    async def list_referrals(state: str | None = None, who: Person = Depends(person)) -> dict[str, Any]:
        query = select(referrals).where(referrals.c.county_code == who.county_code)
        if state:
            query = query.where(referrals.c.state == state)
        if who.role not in ("office", "readonly"):
            query = query.where(referrals.c.target_name == (who.department if who.role == "department" else None))
        async with sessions() as session:
            rows = [dict(r) for r in (await session.execute(query.order_by(referrals.c.referred_on, referrals.c.referral_id))).mappings()]
        return {"referrals": rows}

    @router.get("/referrals/{referral_id}")
    async def get_referral(referral_id: str, who: Person = Depends(person)) -> dict[str, Any]:
        async with sessions() as session:
            return {"referral": await referral_row(session, who, referral_id), "actions": await history(session, referral_id)}

    @router.post("/referrals/{referral_id}/acknowledge")
    async def sign_referral(referral_id: str, body: Note, who: Person = Depends(person)) -> dict[str, Any]:
        async def work(session: AsyncSession) -> dict[str, Any]:
            row = await referral_row(session, who, referral_id)
            if who.role != "department":
                raise _refused(who, "代替受移送单位签收")
            if row["state"] != "referred":
                raise HTTPException(409, f"移送材料已签收（{row['acknowledged_on']}，{row['acknowledged_by']}）")
            await acknowledge_referral(session, row, actor_of(who), policies(who.county_code)[0].project_office, body.note,
                                       beijing_today(clock), clock.now())
            return await referral_row(session, who, referral_id)
        return {"referral": await committed(work)}

    return router


def _is_mine(who: Person, row: dict[str, Any]) -> bool:
    return is_target(who, row)


async def _project_names(session: AsyncSession, project_ids: set[str]) -> dict[str, str]:
    if not project_ids:
        return {}
    rows = await session.execute(select(project_facts.c.project_id, project_facts.c.snapshot).where(project_facts.c.project_id.in_(project_ids)))
    return {pid: (snap or {}).get("name") or (snap or {}).get("project_code") or pid for pid, snap in rows}
