"""Meetings' routes (/api/meetings): the office schedules, edits the agenda, decides and minutes; the county reads."""
from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.cases.people import Person
from services.escalation.cases.policy import configured as configured_cases
from services.escalation.problems import meetings as meeting_work
from services.escalation.problems.api_kit import AgendaEdit, Kit, NewDecision, NewMeeting, not_found, project_names, refused
from services.escalation.problems.minutes import render_minutes_docx, render_minutes_html
from services.escalation.tables import assignments, meetings
from shared.clock import beijing_today


def meeting_routes(kit: Kit) -> APIRouter:
    router = APIRouter()
    sessions, clock, person, policies, actor_of = kit.sessions, kit.clock, kit.person, kit.policies, kit.actor_of
    history, committed, problem_row = kit.history, kit.committed, kit.problem_row
    case_policy_for = kit.case_policy_for

    def office_only(who: Person, what: str) -> None:
        if who.role != "office":
            raise refused(who, what)

    async def meeting_of(session: AsyncSession, who: Person, meeting_id: str) -> dict[str, Any]:
        meeting = await meeting_work.meeting_row(session, who.county_code, meeting_id)
        if meeting is None:
            raise not_found("会议")
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
            names = await project_names(session, {a["project_id"] for a in view["assignments"] if a["project_id"]})
        if not view["meeting"]["minutes_number"]:
            raise HTTPException(409, "会议纪要尚未印发")
        if fmt == "html":
            return Response(render_minutes_html(view["meeting"], view["assignments"], names), media_type="text/html; charset=utf-8")
        return Response(render_minutes_docx(view["meeting"], view["assignments"], names),
                        media_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                        headers={"Content-Disposition": f"attachment; filename=minutes-{meeting_id}.docx"})

    return router
