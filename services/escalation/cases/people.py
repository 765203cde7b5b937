"""People the county issues: a login, a role and a secret token shown once and kept only as its sha256."""
from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.escalation.tables import people, person_sessions
from shared.contracts.types import is_county_code
from shared.persistence import utcnow

ROLES = ("office", "leader", "department", "readonly")


@dataclass(frozen=True, slots=True)
class Person:
    person_id: str
    county_code: str
    login: str
    name: str
    role: str  # office | leader | department | readonly
    department: str | None  # a handler's department; a leader's name as the project facts spell it
    active: bool = True
    created_at: datetime | None = None

    def public(self) -> dict[str, str | None]:
        return {"person_id": self.person_id, "county_code": self.county_code, "login": self.login, "name": self.name,
                "role": self.role, "department": self.department}


async def close_sessions_of(session: AsyncSession, person_id: str, now: datetime) -> int:
    """Ends every signed-in session of the person (disable, rotate), in the caller's transaction."""
    result = await session.execute(update(person_sessions).where(person_sessions.c.person_id == person_id,
                                                                 person_sessions.c.revoked_at.is_(None)).values(revoked_at=now))
    return result.rowcount or 0


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def person_from_row(row) -> Person:  # type: ignore[no-untyped-def]
    return Person(row.person_id, row.county_code, row.login, row.name, row.role, row.department, row.active, row.created_at)


async def add_person(sessions: async_sessionmaker, county_code: str, login: str, name: str, role: str,
                     department: str | None = None) -> tuple[Person, str]:
    """The new person and their token; the token is returned here once and never stored."""
    if not is_county_code(county_code):
        raise ValueError(f"not a 6-digit county code: {county_code!r}")
    if role not in ROLES:
        raise ValueError(f"role must be one of {', '.join(ROLES)}: {role!r}")
    if role == "department" and not department:
        raise ValueError("a department handler needs --department")
    if not login.strip() or not name.strip():
        raise ValueError("login and name must not be empty")
    token = f"tjp_{county_code}_{secrets.token_urlsafe(24)}"
    person = Person(str(uuid.uuid4()), county_code, login.strip(), name.strip(), role, department or None, True, utcnow())
    async with sessions() as session, session.begin():
        if await session.scalar(select(people.c.person_id).where(people.c.login == person.login)):
            raise ValueError(f"login {person.login!r} is taken")
        await session.execute(people.insert().values(
            person_id=person.person_id, county_code=county_code, login=person.login, name=person.name, role=role,
            department=person.department, token_hash=hash_token(token), active=True, created_at=person.created_at))
    return person, token


async def list_people(sessions: async_sessionmaker, county_code: str | None = None) -> list[Person]:
    query = select(people).order_by(people.c.county_code, people.c.login)
    if county_code:
        query = query.where(people.c.county_code == county_code)
    async with sessions() as session:
        return [person_from_row(r) for r in await session.execute(query)]


async def disable_person(sessions: async_sessionmaker, login: str) -> Person:
    """Disable a person and end every session they have, in one transaction: no page or token works after it."""
    async with sessions() as session, session.begin():
        row = (await session.execute(update(people).where(people.c.login == login).values(active=False).returning(people))).first()
        if row is None:
            raise LookupError(f"no person with login {login!r}")
        await close_sessions_of(session, row.person_id, utcnow())
    return person_from_row(row)


async def rotate_token(sessions: async_sessionmaker, login: str) -> tuple[Person, str]:
    """A new token (and console password) for a person, who is active again; the old token and every session end at once."""
    person = next((p for p in await list_people(sessions) if p.login == login), None)
    if person is None:
        raise LookupError(f"no person with login {login!r}")
    token = f"tjp_{person.county_code}_{secrets.token_urlsafe(24)}"
    async with sessions() as session, session.begin():
        await session.execute(update(people).where(people.c.login == login).values(token_hash=hash_token(token), active=True))
        await close_sessions_of(session, person.person_id, utcnow())  # whoever held the old password is signed out
    return replace(person, active=True), token


async def person_by_token(session: AsyncSession, token: str) -> Person | None:
    """The active person holding this token, or None (unknown and disabled look the same to the caller)."""
    row = (await session.execute(select(people).where(people.c.token_hash == hash_token(token), people.c.active.is_(True)))).first()
    return person_from_row(row) if row else None


async def person_by_login(session: AsyncSession, login: str, password: str) -> Person | None:
    row = (await session.execute(select(people).where(people.c.login == login, people.c.active.is_(True)))).first()
    if row is None or not secrets.compare_digest(row.token_hash, hash_token(password)):
        return None
    return person_from_row(row)
