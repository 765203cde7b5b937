"""County bearer tokens: issued once in plaintext, kept only as a sha256 hash, cached briefly in memory.

Authentication caches a successful lookup for `TTL_SECONDS`, keyed by the token's hash, so a request
is not a database query. Revoking or rotating forgets the cached entry at once in this process, and in
every running replica through the announcement on NATS (token_events.py); should that not arrive, the
revocation takes effect within the TTL.
"""
from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.intake.tables import tokens
from shared.contracts.types import is_county_code
from shared.persistence import utcnow

TTL_SECONDS = 30.0
# Enough of the token to tell tokens apart in a listing; the rest (~26 random chars) stays secret.
PREFIX_RANDOM_CHARS = 6
_DIGITS = re.compile(r"^\d+$")


class TokenNotFound(LookupError):
    pass


class AmbiguousToken(ValueError):
    pass


@dataclass(frozen=True)
class TokenInfo:
    id: int
    county_code: str
    label: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class Caller:
    """Who a valid token belongs to: its county, and how the county labelled it (for the history)."""

    county_code: str
    token_id: int
    label: str
    prefix: str

    @property
    def name(self) -> str:
        return f"{self.label} ({self.prefix}…)" if self.label else f"{self.prefix}…"


@dataclass
class _Entry:
    caller: Caller
    expires: float


class TokenCache:
    """Successful lookups by hash, each valid for `ttl` seconds."""

    def __init__(self, ttl: float = TTL_SECONDS, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._ttl, self._monotonic = ttl, monotonic
        self._entries: dict[str, _Entry] = {}

    def get(self, token_hash: str) -> Caller | None:
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        if entry.expires <= self._monotonic():
            del self._entries[token_hash]
            return None
        return entry.caller

    def put(self, token_hash: str, caller: Caller) -> None:
        self._entries[token_hash] = _Entry(caller, self._monotonic() + self._ttl)

    def clear(self) -> None:
        self._entries.clear()

    def forget(self, token_ids: set[int]) -> None:
        for key in [key for key, entry in self._entries.items() if entry.caller.token_id in token_ids]:
            del self._entries[key]


CACHE = TokenCache()


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_county(county_code: str) -> None:
    if not is_county_code(county_code):
        raise ValueError(f"not a 6-digit county code: {county_code!r}")


def _info(row) -> TokenInfo:  # type: ignore[no-untyped-def]
    return TokenInfo(row.id, row.county_code, row.label, row.prefix, row.created_at, row.revoked_at)


async def issue_token(sessions: async_sessionmaker, county_code: str, label: str = "") -> str:
    """A new token for the county; the plaintext is returned here and never stored or shown again."""
    _check_county(county_code)
    random_part = secrets.token_urlsafe(24)
    token = f"tj_{county_code}_{random_part}"
    async with sessions() as session, session.begin():
        await session.execute(insert(tokens).values(
            county_code=county_code, label=label, token_hash=hash_token(token),
            prefix=f"tj_{county_code}_{random_part[:PREFIX_RANDOM_CHARS]}", created_at=utcnow(),
        ))
    return token


async def rotate_tokens(sessions: async_sessionmaker, county_code: str, label: str = "", cache: TokenCache = CACHE) -> str:
    """Revoke every active token of the county and issue a new one."""
    _check_county(county_code)
    async with sessions() as session, session.begin():
        active = tokens.c.county_code == county_code, tokens.c.revoked_at.is_(None)
        ids = {row[0] for row in await session.execute(select(tokens.c.id).where(*active))}
        if ids:
            await session.execute(update(tokens).where(tokens.c.id.in_(ids)).values(revoked_at=utcnow()))
    cache.forget(ids)
    return await issue_token(sessions, county_code, label)


async def revoke_token(sessions: async_sessionmaker, token_prefix_or_id: str, cache: TokenCache = CACHE) -> TokenInfo:
    """Revoke one token, named by its id, its listed prefix (or any longer start of it) or the token itself.

    Revoking a revoked token is a no-op. Raises TokenNotFound, or AmbiguousToken when a prefix names
    more than one token.
    """
    key = token_prefix_or_id.strip()
    async with sessions() as session, session.begin():
        if _DIGITS.match(key):
            rows = (await session.execute(select(tokens).where(tokens.c.id == int(key)))).all()
        else:
            rows = (await session.execute(select(tokens).where(tokens.c.token_hash == hash_token(key)))).all()
            if not rows and key:
                listed = key[: len("tj_000000_") + PREFIX_RANDOM_CHARS]  # longer input: the rest is secret
                rows = (await session.execute(select(tokens).where(tokens.c.prefix.startswith(listed, autoescape=True)))).all()
                if len(rows) > 1:
                    rows = [row for row in rows if row.revoked_at is None] or rows[:1]
        if not rows:
            raise TokenNotFound(f"no token {token_prefix_or_id!r}")
        if len(rows) > 1:
            raise AmbiguousToken(f"{token_prefix_or_id!r} names {len(rows)} tokens; use the id")
        row = rows[0]
        if row.revoked_at is not None:
            return _info(row)
        now = utcnow()
        await session.execute(update(tokens).where(tokens.c.id == row.id).values(revoked_at=now))
    cache.forget({row.id})
    return TokenInfo(row.id, row.county_code, row.label, row.prefix, row.created_at, now)


async def list_tokens(sessions: async_sessionmaker, county: str | None = None) -> list[TokenInfo]:
    """Every token (active and revoked), oldest first; never the plaintext, which is not kept."""
    query = select(tokens).order_by(tokens.c.id)
    if county is not None:
        query = query.where(tokens.c.county_code == county)
    async with sessions() as session:
        return [_info(row) for row in await session.execute(query)]


async def identify(sessions: async_sessionmaker, token: str, cache: TokenCache = CACHE) -> Caller | None:
    """Who the token belongs to, or None for an unknown or revoked token."""
    token_hash = hash_token(token)
    caller = cache.get(token_hash)
    if caller is not None:
        return caller
    query = select(tokens.c.id, tokens.c.county_code, tokens.c.label, tokens.c.prefix)
    async with sessions() as session:
        row = (await session.execute(query.where(tokens.c.token_hash == token_hash, tokens.c.revoked_at.is_(None)))).first()
    if row is None:
        return None
    caller = Caller(row.county_code, row.id, row.label, row.prefix)
    cache.put(token_hash, caller)
    return caller


async def authenticate(sessions: async_sessionmaker, token: str, cache: TokenCache = CACHE) -> str | None:
    """The county the token belongs to, or None for an unknown or revoked token."""
    caller = await identify(sessions, token, cache)
    return caller.county_code if caller else None
