"""Assignments' routes (/api/assignments: the handler signs and reports, the office verifies and closes) and
referrals' (/api/referrals: the body referred to signs for it)."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.cases.access import COUNTY_WIDE_ROLES
from services.escalation.cases.people import Person
from services.escalation.cases.referrals import acknowledge as acknowledge_referral
from services.escalation.problems import assignments as assignment_life
from services.escalation.problems import meetings as meeting_work
from services.escalation.problems.access import can_see_assignment, may_act_on_assignment
from services.escalation.problems.api_kit import Kit, Note, Solved, Verification, not_found, refused
from services.escalation.problems.store import assignment_of
from services.escalation.tables import assignments, referrals
from services.escalation.visible_page import page_answer, visible_page
from shared.clock import beijing_today
from shared.query_params import Offset, page_limit


def assignment_routes(kit: Kit) -> APIRouter:
    router = APIRouter()
    sessions, clock, person, policies, actor_of = kit.sessions, kit.clock, kit.person, kit.policies, kit.actor_of
    history, committed = kit.history, kit.committed

    async def assignment_row(session: AsyncSession, who: Person, assignment_id: str) -> dict[str, Any]:
        row = (await session.execute(select(assignments).where(assignments.c.assignment_id == assignment_id,
                                                               assignments.c.county_code == who.county_code))).mappings().first()
        if row is None:
            raise not_found("交办事项")
        if not can_see_assignment(who, dict(row)):
            raise HTTPException(403, "该交办事项不由本部门或本人承办")
        return dict(row)

    @router.get("/assignments")
    async def list_assignments(state: str | None = None, open_only: bool = Query(False, alias="open"), meeting_id: str | None = None,
                               overdue: bool = False, limit: int = page_limit(500, 5000), offset: Offset = 0,
                               who: Person = Depends(person)) -> Response:
        """The county's assignments this person may see, the nearest deadline first, a page at a time (`more`: another
        page follows). `open` keeps those not yet closed."""
        query = select(assignments).where(assignments.c.county_code == who.county_code)
        if state:
            query = query.where(assignments.c.state == state)
        if open_only:
            query = query.where(assignments.c.state.in_(assignment_life.OPEN))
        if meeting_id:
            query = query.where(assignments.c.meeting_id == meeting_id)
        if overdue:
            query = query.where(assignments.c.due_on < beijing_today(clock), assignments.c.state.in_(("opened", "acknowledged")))

        async def seen(_: AsyncSession, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [r for r in rows if can_see_assignment(who, r)]

        in_order = query.order_by(assignments.c.due_on.is_(None), assignments.c.due_on, assignments.c.number, assignments.c.assignment_id)
        async with sessions() as session:
            page, more = await visible_page(session, in_order, seen, limit, offset, keeps_all=who.role in COUNTY_WIDE_ROLES)
        return page_answer("assignments", page, limit, offset, more)

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
                raise refused(who, what + "此交办事项")
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
            raise not_found("移送材料")
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
                raise refused(who, "代替受移送单位签收")
            if row["state"] != "referred":
                raise HTTPException(409, f"移送材料已签收（{row['acknowledged_on']}，{row['acknowledged_by']}）")
            await acknowledge_referral(session, row, actor_of(who), policies(who.county_code)[0].project_office, body.note,
                                       beijing_today(clock), clock.now())
            return await referral_row(session, who, referral_id)
        return {"referral": await committed(work)}

    return router
