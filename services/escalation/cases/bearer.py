"""The signed-in person behind a request's bearer token: a session's access token (the console) or the person's own (the CLI)."""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, HTTPException
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation.cases.people import Person, person_by_token
from services.escalation.cases.sessions import is_session_token, person_by_session
from shared.persistence import utcnow


def bearer_person(sessions: async_sessionmaker) -> Callable[..., Awaitable[Person]]:
    """A FastAPI dependency: 401 for an unknown, expired, revoked or disabled token."""
    bearer = HTTPBearer(auto_error=False)

    async def person(credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Person:
        found = None
        if credentials is not None:
            token = credentials.credentials
            async with sessions() as session:
                found = await (person_by_session(session, token, utcnow()) if is_session_token(token) else person_by_token(session, token))
        if found is None:
            raise HTTPException(401, "unknown, expired or disabled token", headers={"WWW-Authenticate": "Bearer"})
        return found

    return person
