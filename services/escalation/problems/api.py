"""The problems and meetings HTTP API (/api/problems, /api/meetings, /api/assignments, /api/referrals), under a
person's bearer token.

Errors as for cases: 401 unknown token; 403 the role or name may not see or do this; 404 nothing of that id in the
person's county (another county's is never revealed); 409 not allowed as the item stands; 422 a malformed body.
"""
from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation.cases.bearer import bearer_person
from services.escalation.cases.policy import CasePolicyFor
from services.escalation.domain.policy import Policy
from services.escalation.problems.api_assignments import assignment_routes
from services.escalation.problems.api_kit import Kit
from services.escalation.problems.api_meetings import meeting_routes
from services.escalation.problems.api_problems import problem_routes
from services.escalation.problems.policy import ProblemPolicyFor
from shared.clock import Clock


def build_problem_api(sessions: async_sessionmaker, clock: Clock, policy_for: Callable[[str], Policy] | None = None,
                      problem_policy_for: ProblemPolicyFor | None = None, case_policy_for: CasePolicyFor | None = None) -> APIRouter:
    kit = Kit(sessions, clock, bearer_person(sessions), policy_for, problem_policy_for, case_policy_for)
    router = APIRouter(prefix="/api", tags=["problems"])
    for routes in (problem_routes, meeting_routes, assignment_routes):
        router.include_router(routes(kit))
    return router
