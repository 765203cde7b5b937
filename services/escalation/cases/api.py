"""The cases HTTP API (/api): a person's bearer token, their county's cases as their role may see them, and their actions.

The bearer is a session's access token from POST /api/login (what the console holds), or the person's own
token (the CLI). Errors: 401 unknown, expired, revoked or disabled token; 429 too many wrong passwords; 403 the role or department may not see or do this; 404 no such
case in the person's county (another county's case is never revealed); 409 not allowed in the case's state.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.escalation.cases import lifecycle
from services.escalation.cases.access import COUNTY_WIDE_ROLES, can_see, may_act
from services.escalation.cases.bearer import bearer_person
from services.escalation.cases.climbing import climb_case
from services.escalation.cases.ladder import TOP, level_name
from services.escalation.cases.lifecycle import Case, NotAllowed
from services.escalation.cases.people import Person, person_by_login
from services.escalation.cases.policy import CasePolicy, CasePolicyFor, configured
from services.escalation.cases.rows import from_row, public
from services.escalation.cases.sessions import close_session, is_session_token, open_session
from services.escalation.cases.store import Actor, Conflict, context_of, record
from services.escalation.cases.throttle import Limits, record_attempt, throttled
from services.escalation.domain.policy import Policy
from services.escalation.tables import case_actions, cases, escalations
from services.escalation.visible_page import page_answer, visible_page
from shared.clock import Clock, beijing_today
from shared.contracts.case import FINISHED_STATES, CaseAction
from shared.db import lock_for_writing
from shared.persistence import utcnow
from shared.query_params import Offset, page_limit
from shared.service_token import presented
from shared.wording import action_name, role_name

Step = Callable[[Case, date, CasePolicy], tuple[Case, CaseAction, str, dict[str, Any]]]
ESCALATION_FIELDS = ("escalation_id", "rule_id", "rule_version", "subject", "level", "level_name", "status", "as_of", "evidence",
                     "recipients", "summary", "opened_at", "cleared_at")


# The console names the address its person signed in from; believed only from a caller holding the service token.
CLIENT_ADDRESS = "X-Tuijin-Client-Address"


class Login(BaseModel):
    login: str = Field(max_length=50)
    password: str = Field(max_length=200)


class Note(BaseModel):
    note: str = Field(default="", max_length=2000)


class Reply(BaseModel):
    explanation: str = Field(min_length=1, max_length=4000)
    remedy_plan: str = Field(min_length=1, max_length=4000)


class Review(Note):
    accepted: bool


class ExceptionClaim(BaseModel):
    kind: Literal["government_delay", "force_majeure", "tolerance"]
    reason: str = Field(min_length=1, max_length=2000)
    blocking_department: str | None = Field(default=None, max_length=100)


class Decision(Note):
    confirmed: bool


def _view(row: Any, recipients: list[dict[str, str]] | None) -> dict[str, Any]:
    return {**public(row), "level_name": level_name(row["ladder_level"], row["target_kind"]), "recipients": recipients or []}


async def _escalation(session: AsyncSession, escalation_id: str) -> dict[str, Any] | None:
    found = (await session.execute(select(escalations).where(escalations.c.escalation_id == escalation_id))).mappings().first()
    return dict(found) if found else None


async def _recipients(session: AsyncSession, ids: list[str]) -> dict[str, list[dict[str, str]]]:
    """Each escalation's recipients (who, besides a case's target, may see it), for a list's chunk of cases."""
    if not ids:
        return {}
    found = await session.execute(select(escalations.c.escalation_id, escalations.c.recipients).where(escalations.c.escalation_id.in_(ids)))
    return {escalation_id: recipients for escalation_id, recipients in found}


def build_case_api(sessions: async_sessionmaker, clock: Clock, policy_for: Callable[[str], Policy] | None = None,
                   case_policy_for: CasePolicyFor | None = None, service_token: str = "", limits: Limits = Limits()) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["cases"])
    bearer = HTTPBearer(auto_error=False)
    person = bearer_person(sessions)

    def address_of(request: Request) -> str:
        forwarded = request.headers.get(CLIENT_ADDRESS)
        if forwarded and service_token and presented(request, service_token):
            return forwarded
        return request.client.host if request.client else "unknown"

    async def visible(session: AsyncSession, who: Person, case_id: str) -> tuple[dict[str, Any], dict[str, Any] | None]:
        row = (await session.execute(select(cases).where(cases.c.case_id == case_id, cases.c.county_code == who.county_code))).mappings().first()
        if row is None:
            raise HTTPException(404, f"本县没有该督办件 / no case {case_id} in county {who.county_code}")
        escalation = await _escalation(session, row["escalation_id"])
        if not can_see(who, dict(row), (escalation or {}).get("recipients")):
            raise HTTPException(403, "该督办件未交办本部门或本人 / this case does not name your department or you")
        return dict(row), escalation

    async def detail(session: AsyncSession, who: Person, case_id: str) -> dict[str, Any]:
        row, escalation = await visible(session, who, case_id)
        actions = [dict(a) for a in (await session.execute(
            select(case_actions).where(case_actions.c.case_id == case_id).order_by(case_actions.c.id))).mappings()]
        pack = next((a["details"].get("evidence_pack") for a in reversed(actions) if a["action"] == "climbed" and a["ladder_level"] == 5), None)
        return {"case": _view(row, (escalation or {}).get("recipients")), "escalation": {k: (escalation or {}).get(k) for k in ESCALATION_FIELDS},
                "actions": actions, "evidence_pack": pack if row["ladder_level"] == 5 else None}

    async def act(who: Person, case_id: str, name: str, step: Step) -> dict[str, Any]:
        as_of, now = beijing_today(clock), clock.now()
        try:
            async with sessions() as session, session.begin():
                await lock_for_writing(session)
                row, escalation = await visible(session, who, case_id)
                if not may_act(who, row, name):
                    raise HTTPException(403, f"{role_name(who.role)}不能{action_name(name)}此督办件 / a {who.role} may not {name} this case")
                case_policy = (case_policy_for or configured())(who.county_code)
                before = from_row(row)
                try:
                    after, action, note, details = step(before, as_of, case_policy)
                except NotAllowed as exc:
                    raise HTTPException(409, str(exc)) from exc
                policy = policy_for(who.county_code) if policy_for else Policy()
                ctx = await context_of(session, row, escalation, policy, case_policy)
                actor = Actor(who.person_id, who.name, who.role)
                await record(session, ctx, row["version"], before, after, action, actor, note, details, as_of, now)
                if action == CaseAction.reopened and lifecycle.fails_again(before):
                    await climb_case(session, ctx, row["version"] + 1, after, before.level + 1, "调度会后重新督办，再次未完成",
                                     escalation, case_policy, as_of, now)
        except Conflict as exc:
            raise HTTPException(409, str(exc)) from exc
        async with sessions() as session:
            return await detail(session, who, case_id)

    @router.get("/me")
    async def me(who: Person = Depends(person)) -> dict[str, Any]:
        return who.public()

    @router.post("/login", responses={401: {"description": "wrong login or password"}, 429: {"description": "too many wrong passwords"}})
    async def login(body: Login, request: Request) -> dict[str, Any]:
        """A new session: its access token (never the password), when it expires, and the person."""
        address, now = address_of(request), utcnow()
        async with sessions() as session, session.begin():
            if await throttled(session, body.login, address, now, limits):
                await record_attempt(session, body.login, address, "throttled", now)
                found, opened = None, None
            else:
                found = await person_by_login(session, body.login, body.password)
                await record_attempt(session, body.login, address, "ok" if found else "wrong", now)
                opened = await open_session(session, found, now) if found else ("", now)
        if opened is None:
            raise HTTPException(429, "too many wrong passwords; try again later",
                                headers={"Retry-After": str(int(limits.window.total_seconds()))})
        if found is None:
            raise HTTPException(401, "wrong login or password")
        token, expires = opened
        return {"token": token, "expires_at": expires.isoformat(), "person": found.public()}

    @router.post("/logout", status_code=204)
    async def logout(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Response:
        """Ends the session whose access token is presented (a person's own token is rotated with the CLI instead)."""
        if credentials is not None and is_session_token(credentials.credentials):
            async with sessions() as session, session.begin():
                await close_session(session, credentials.credentials, utcnow())
        return Response(status_code=204)

    @router.get("/cases")
    async def list_cases(state: str | None = None, open_only: bool = Query(False, alias="open"), level: int | None = Query(None, ge=1, le=TOP),
                         target: str | None = None, rule_id: str | None = None, project_id: str | None = None,
                         due_before: date | None = None, limit: int = page_limit(500, 5000), offset: Offset = 0,
                         who: Person = Depends(person)) -> Response:
        """The county's cases this person may see, the nearest deadline first, a page at a time (`more`: another page
        follows). `open` keeps those not yet closed or withdrawn, which is what a queue shows."""
        query = select(cases).where(cases.c.county_code == who.county_code)
        for column, value in ((cases.c.state, state), (cases.c.ladder_level, level), (cases.c.target_name, target),
                              (cases.c.rule_id, rule_id), (cases.c.project_id, project_id)):
            if value is not None:
                query = query.where(column == value)
        if open_only:
            query = query.where(cases.c.state.not_in(FINISHED_STATES))
        if due_before is not None:
            query = query.where(cases.c.due_on <= due_before)

        async def seen(session: AsyncSession, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
            by_id = await _recipients(session, list({r["escalation_id"] for r in rows}))
            return [_view(r, by_id.get(r["escalation_id"])) for r in rows if can_see(who, r, by_id.get(r["escalation_id"]))]

        in_order = query.order_by(cases.c.due_on.is_(None), cases.c.due_on, cases.c.case_id)  # none last on both databases
        async with sessions() as session:
            page, more = await visible_page(session, in_order, seen, limit, offset, keeps_all=who.role in COUNTY_WIDE_ROLES)
        return page_answer("cases", page, limit, offset, more)

    @router.get("/cases/{case_id}")
    async def get_case(case_id: str, who: Person = Depends(person)) -> dict[str, Any]:
        async with sessions() as session:
            return await detail(session, who, case_id)

    @router.post("/cases/{case_id}/acknowledge")
    async def acknowledge(case_id: str, body: Note, who: Person = Depends(person)) -> dict[str, Any]:
        return await act(who, case_id, "acknowledge", lambda c, d, p: (lifecycle.acknowledge(c, d, p), CaseAction.acknowledged, body.note, {}))

    @router.post("/cases/{case_id}/reply")
    async def reply(case_id: str, body: Reply, who: Person = Depends(person)) -> dict[str, Any]:
        details = {"explanation": body.explanation, "remedy_plan": body.remedy_plan}
        return await act(who, case_id, "reply", lambda c, d, p: (lifecycle.reply(c, d), CaseAction.replied, body.explanation, details))

    @router.post("/cases/{case_id}/review")
    async def review(case_id: str, body: Review, who: Person = Depends(person)) -> dict[str, Any]:
        # Either way the action is `reviewed`; a rejected reply leaves the case acknowledged (to_state) with a new reply deadline.
        return await act(who, case_id, "review", lambda c, d, p: (lifecycle.review(c, body.accepted, d, p), CaseAction.reviewed, body.note,
                                                                  {"accepted": body.accepted}))

    @router.post("/cases/{case_id}/close")
    async def close(case_id: str, body: Note, who: Person = Depends(person)) -> dict[str, Any]:
        return await act(who, case_id, "close", lambda c, d, p: (lifecycle.close(c, d), CaseAction.closed, body.note, {}))

    @router.post("/cases/{case_id}/reopen")
    async def reopen(case_id: str, body: Note, who: Person = Depends(person)) -> dict[str, Any]:
        return await act(who, case_id, "reopen", lambda c, d, p: (lifecycle.reopen(c, d, p), CaseAction.reopened, body.note, {}))

    @router.post("/cases/{case_id}/exception")
    async def claim(case_id: str, body: ExceptionClaim, who: Person = Depends(person)) -> dict[str, Any]:
        def step(c: Case, d: date, p: CasePolicy) -> tuple[Case, CaseAction, str, dict[str, Any]]:
            after = lifecycle.claim_exception(c, body.kind, body.reason, body.blocking_department, who.person_id, d)
            return after, CaseAction.exception_claimed, body.reason, body.model_dump()
        return await act(who, case_id, "exception", step)

    @router.post("/cases/{case_id}/exception/decision")
    async def decide(case_id: str, body: Decision, who: Person = Depends(person)) -> dict[str, Any]:
        action = CaseAction.exception_confirmed if body.confirmed else CaseAction.exception_rejected

        def step(c: Case, d: date, p: CasePolicy) -> tuple[Case, CaseAction, str, dict[str, Any]]:
            after = lifecycle.decide_exception(c, body.confirmed, d, p)
            return after, action, body.note, {"confirmed": body.confirmed, "paused_workdays": after.paused_days - c.paused_days}
        return await act(who, case_id, "exception_decision", step)

    return router
