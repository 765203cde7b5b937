"""Signed-in sessions: /api/login issues an access token of its own, distinct from the person's password.

The token is random, kept only as its sha256, ends at `expires_at` or after `IDLE` without use, and is
revoked by logout, by disabling the person and by rotating their password. Every replica reads the same
rows and nothing is cached, so a revocation holds on every replica at the next request.
"""
from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.cases.people import Person, hash_token, person_from_row
from services.escalation.tables import people, person_sessions

LIFETIME = timedelta(hours=12)
IDLE = timedelta(hours=2)
# last_used_at is written at most this often: a page load is not a database write.
TOUCH_EVERY = timedelta(minutes=1)
PREFIX = "tja_"


def aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def is_session_token(token: str) -> bool:
    return token.startswith(PREFIX)


async def open_session(session: AsyncSession, person: Person, now: datetime) -> tuple[str, datetime]:
    """A new access token for the person (returned once) and when it expires."""
    token = f"{PREFIX}{secrets.token_urlsafe(32)}"
    expires = now + LIFETIME
    await session.execute(person_sessions.insert().values(token_hash=hash_token(token), person_id=person.person_id, created_at=now,
                                                          last_used_at=now, expires_at=expires, revoked_at=None))
    return token, expires


async def person_by_session(session: AsyncSession, token: str, now: datetime) -> Person | None:
    """The active person of a live session, or None (unknown, expired, idle, revoked or disabled look the same)."""
    row = (await session.execute(
        select(people, person_sessions.c.last_used_at.label("session_used"))
        .join(person_sessions, person_sessions.c.person_id == people.c.person_id)
        .where(person_sessions.c.token_hash == hash_token(token), person_sessions.c.revoked_at.is_(None),
               person_sessions.c.expires_at > now, person_sessions.c.last_used_at > now - IDLE, people.c.active.is_(True)))).first()
    if row is None:
        return None
    if aware(row.session_used) < now - TOUCH_EVERY:
        await session.execute(update(person_sessions).where(person_sessions.c.token_hash == hash_token(token)).values(last_used_at=now))
        await session.commit()
    return person_from_row(row)


async def close_session(session: AsyncSession, token: str, now: datetime) -> None:
    await session.execute(update(person_sessions).where(person_sessions.c.token_hash == hash_token(token),
                                                        person_sessions.c.revoked_at.is_(None)).values(revoked_at=now))
