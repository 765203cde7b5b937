"""Server-side sessions of the console: an opaque random id in the cookie, the row in the console's database.

The row holds escalation's access token for this session and the session's CSRF token; who the person is
(county, role, department) is asked of escalation on every request, never read from the cookie.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.console.tables import web_sessions

COOKIE = "tuijin_session"
LIFETIME = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often


@dataclass(frozen=True, slots=True)
class WebSession:
    session_hash: str
    access_token: str
    csrf_token: str
    expires_at: datetime


def aware(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; they were stored as UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


async def open_web_session(sessions: async_sessionmaker, person_id: str, access_token: str, now: datetime,
                           expires_at: datetime | None = None) -> tuple[str, WebSession]:
    """A new session (a new id on every sign-in: no fixation) and the cookie value; expired rows are swept here."""
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    expires = min(expires_at or now + LIFETIME, now + LIFETIME)
    row = WebSession(_hash(session_id), access_token, csrf, expires)
    async with sessions() as session, session.begin():
        await session.execute(delete(web_sessions).where(web_sessions.c.expires_at <= now))
        await session.execute(web_sessions.insert().values(session_hash=row.session_hash, person_id=person_id, access_token=access_token,
                                                           csrf_token=csrf, created_at=now, last_used_at=now, expires_at=expires))
    return session_id, row


async def load_web_session(sessions: async_sessionmaker, session_id: str, now: datetime) -> WebSession | None:
    if not session_id or len(session_id) > 100:
        return None
    key = _hash(session_id)
    async with sessions() as session:
        row = (await session.execute(select(web_sessions).where(web_sessions.c.session_hash == key,
                                                                 web_sessions.c.expires_at > now))).first()
        if row is None:
            return None
        if aware(row.last_used_at) < now - TOUCH_EVERY:
            await session.execute(update(web_sessions).where(web_sessions.c.session_hash == key).values(last_used_at=now))
            await session.commit()
    return WebSession(key, row.access_token, row.csrf_token, aware(row.expires_at))


async def end_web_session(sessions: async_sessionmaker, session_hash: str) -> None:
    async with sessions() as session, session.begin():
        await session.execute(delete(web_sessions).where(web_sessions.c.session_hash == session_hash))
