"""What every route of the problems API shares: the signed-in person, the county's policies, the audit log, one
transaction per step with its refusals as 409, and the request bodies."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from fastapi import HTTPException
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.escalation.cases.people import Person
from services.escalation.cases.policy import CasePolicyFor
from services.escalation.domain.policy import Policy
from services.escalation.problems import assignments as assignment_life
from services.escalation.problems import lifecycle as life
from services.escalation.problems import meetings as meeting_work
from services.escalation.problems.access import can_see_problem
from services.escalation.problems.policy import ProblemPolicy, ProblemPolicyFor
from services.escalation.problems.policy import configured as configured_problems
from services.escalation.problems.store import Actor, Conflict
from services.escalation.tables import coordination_actions, problems, project_facts
from shared.clock import Clock
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


def not_found(what: str) -> HTTPException:
    return HTTPException(404, f"本县没有该{what}")


def refused(who: Person, what: str) -> HTTPException:
    return HTTPException(403, f"{role_name(who.role)}不能{what}")


async def project_names(session: AsyncSession, project_ids: set[str]) -> dict[str, str]:
    if not project_ids:
        return {}
    rows = await session.execute(select(project_facts.c.project_id, project_facts.c.snapshot).where(project_facts.c.project_id.in_(project_ids)))
    return {pid: (snap or {}).get("name") or (snap or {}).get("project_code") or pid for pid, snap in rows}


@dataclass(frozen=True)
class Kit:
    sessions: async_sessionmaker
    clock: Clock
    person: Callable[..., Awaitable[Person]]  # the FastAPI dependency: the bearer's person, or 401
    policy_for: Callable[[str], Policy] | None
    problem_policy_for: ProblemPolicyFor | None
    case_policy_for: CasePolicyFor | None

    def policies(self, county_code: str) -> tuple[Policy, ProblemPolicy]:
        return (self.policy_for(county_code) if self.policy_for else Policy()), (self.problem_policy_for or configured_problems())(county_code)

    @staticmethod
    def actor_of(who: Person) -> Actor:
        return Actor(who.person_id, who.name, who.role)

    @staticmethod
    async def history(session: AsyncSession, item_id: str) -> list[dict[str, Any]]:
        return [dict(a) for a in (await session.execute(select(coordination_actions).where(coordination_actions.c.item_id == item_id)
                                                        .order_by(coordination_actions.c.id))).mappings()]

    @staticmethod
    async def problem_row(session: AsyncSession, who: Person, problem_id: str) -> dict[str, Any]:
        row = (await session.execute(select(problems).where(problems.c.problem_id == problem_id,
                                                            problems.c.county_code == who.county_code))).mappings().first()
        if row is None:
            raise not_found("问题")
        if not can_see_problem(who, dict(row)):
            raise HTTPException(403, "该问题不由本部门或本人负责")
        return dict(row)

    async def shown(self, session: AsyncSession, who: Person, problem_id: str) -> dict[str, Any]:
        """A problem as the API shows it: its row, its project's name and its level's name."""
        row = await self.problem_row(session, who, problem_id)
        names = await project_names(session, {row["project_id"]})
        return {**row, "project_name": names.get(row["project_id"]), "level_name": life.LEVEL_NAMES[row["level"]]}

    async def committed(self, work: Callable[[AsyncSession], Awaitable[Any]]) -> Any:
        """One transaction for the step and its events; a step its item's state does not allow is a 409."""
        try:
            async with self.sessions() as session, session.begin():
                await lock_for_writing(session)
                result = await work(session)
        except (Conflict, life.NotAllowed, assignment_life.NotAllowed, meeting_work.Refused) as exc:
            raise HTTPException(409, str(exc)) from exc
        return result
