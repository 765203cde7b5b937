"""The problem list's routes (/api/problems): list, read, raise, and each step of a problem."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.cases.access import COUNTY_WIDE_ROLES
from services.escalation.cases.people import Person
from services.escalation.problems import lifecycle as life
from services.escalation.problems import meetings as meeting_work
from services.escalation.problems.access import can_see_problem, is_target, may_act_on_problem
from services.escalation.problems.api_kit import Kit, NewProblem, Note, OnAgenda, Reason, Solved, not_found, project_names, refused
from services.escalation.problems.store import problem_of
from services.escalation.problems.work import parties_of, raise_problem, write
from services.escalation.tables import problems, project_facts
from services.escalation.visible_page import page_answer, visible_page
from shared.clock import beijing_today
from shared.query_params import Offset, page_limit

ProblemStep = Callable[[life.Problem, date, life.Parties, Any], life.Problem]


def problem_routes(kit: Kit) -> APIRouter:
    router = APIRouter()
    sessions, clock, person, policies, actor_of = kit.sessions, kit.clock, kit.person, kit.policies, kit.actor_of
    history, committed, problem_row, shown = kit.history, kit.committed, kit.problem_row, kit.shown

    async def problem_step(who: Person, problem_id: str, action: str, what: str, step: ProblemStep, note: str = "",
                           details: dict[str, Any] | None = None) -> dict[str, Any]:
        as_of = beijing_today(clock)

        async def work(session: AsyncSession) -> dict[str, Any]:
            row = await problem_row(session, who, problem_id)
            if not may_act_on_problem(who, row, action):
                raise refused(who, what + "此问题")
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
    async def list_problems(state: str | None = None, open_only: bool = Query(False, alias="open"), level: int | None = Query(None, ge=1, le=life.TOP),
                            category: str | None = None, project_id: str | None = None, mine: bool = False, overdue: bool = False,
                            limit: int = page_limit(500, 5000), offset: Offset = 0, who: Person = Depends(person)) -> Response:
        """The county's problems this person may see (`mine`: those waiting on them), the nearest deadline first, a page
        at a time (`more`: another page follows). `open` keeps those not yet solved or closed."""
        query = select(problems).where(problems.c.county_code == who.county_code)
        for column, value in ((problems.c.state, state), (problems.c.level, level), (problems.c.category, category),
                              (problems.c.project_id, project_id)):
            if value is not None:
                query = query.where(column == value)
        if open_only or overdue:
            query = query.where(problems.c.state.in_(life.OPEN))
        if overdue:
            query = query.where(problems.c.due_on < beijing_today(clock))

        async def seen(session: AsyncSession, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            rows = [r for r in rows if can_see_problem(who, r) and (not mine or is_target(who, r))]
            names = await project_names(session, {r["project_id"] for r in rows})
            return [{**r, "project_name": names.get(r["project_id"]), "level_name": life.LEVEL_NAMES[r["level"]]} for r in rows]

        in_order = query.order_by(problems.c.due_on.is_(None), problems.c.due_on, problems.c.problem_id)  # none last on both databases
        async with sessions() as session:
            page, more = await visible_page(session, in_order, seen, limit, offset, keeps_all=who.role in COUNTY_WIDE_ROLES and not mine)
        return page_answer("problems", page, limit, offset, more)

    @router.get("/problems/{problem_id}")
    async def get_problem(problem_id: str, who: Person = Depends(person)) -> dict[str, Any]:
        async with sessions() as session:
            return {"problem": await shown(session, who, problem_id), "actions": await history(session, problem_id)}

    @router.post("/problems", status_code=201)
    async def new_problem(body: NewProblem, who: Person = Depends(person)) -> dict[str, Any]:
        if who.role == "readonly":
            raise refused(who, "提出问题")
        as_of, now = beijing_today(clock), clock.now()

        async def work(session: AsyncSession) -> dict[str, Any]:
            facts = await session.scalar(select(project_facts.c.snapshot).where(project_facts.c.project_id == body.project_id,
                                                                                 project_facts.c.county_code == who.county_code))
            if facts is None:
                raise not_found("项目")
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
                raise refused(who, "将此问题列入会议议题")
            meeting = await meeting_work.meeting_row(session, who.county_code, body.meeting_id)
            if meeting is None:
                raise not_found("会议")
            if meeting["state"] != "scheduled":
                raise HTTPException(409, "会议已召开，不能再增加议题")
            policy, problem_policy = policies(who.county_code)
            snapshot = await session.scalar(select(project_facts.c.snapshot).where(project_facts.c.project_id == row["project_id"])) or {}
            parties = parties_of(row, snapshot, policy, problem_policy)
            before = problem_of(row)
            after = life.put_on_agenda(before, meeting["meeting_id"], meeting_work.agendas.LEVEL_OF[meeting["kind"]], as_of, parties)
            await write(session, row, row["version"], before, after, "on_agenda", actor_of(who), parties, as_of, clock.now(),
                        note=meeting["title"], details={"meeting_id": meeting["meeting_id"]})
            names = await project_names(session, {row["project_id"]})
            item = meeting_work.agendas.item("problem", problem_id, f"【{row['category']}】{names.get(row['project_id'], '')}：{row['description'][:80]}",
                                             f"{who.name}提交会议研究", row["project_id"])
            if all(i["item_id"] != problem_id for i in meeting["agenda"]):
                await meeting_work.edit_agenda(session, meeting, [i["item_id"] for i in meeting["agenda"]], [item], policy, problem_policy,
                                               actor_of(who), as_of, clock.now())
            return await shown(session, who, problem_id)
        return {"problem": await committed(work)}

    return router
