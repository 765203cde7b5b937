"""County tokens on SQLite and PostgreSQL: issue, authenticate, rotate, revoke, list, cache, and schema drift."""
from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.intake import tokens
from services.intake.app import MIGRATIONS
from services.intake.tables import metadata
from services.intake.tables import tokens as tokens_table
from shared.db import make_engine, migrate, session_factory


@pytest.fixture
async def sessions(database: tuple[str, str | None]) -> AsyncIterator[async_sessionmaker]:
    url, schema = database
    await migrate(MIGRATIONS, url, schema)
    engine = make_engine(url, schema)
    yield session_factory(engine)
    await engine.dispose()


async def test_migrations_build_exactly_the_tables_the_code_uses(database: tuple[str, str | None]) -> None:
    url, schema = database
    await migrate(MIGRATIONS, url, schema)
    engine = make_engine(url, schema)
    async with engine.connect() as connection:
        diff = await connection.run_sync(lambda sync: compare_metadata(MigrationContext.configure(sync), metadata))
    await engine.dispose()
    assert diff == []


async def test_an_issued_token_authenticates_its_county_and_is_stored_only_as_a_hash(sessions: async_sessionmaker) -> None:
    token = await tokens.issue_token(sessions, "330106", "ledger system")
    assert token.startswith("tj_330106_") and len(token) > 40
    assert await tokens.authenticate(sessions, token, tokens.TokenCache()) == "330106"
    assert await tokens.authenticate(sessions, token + "x", tokens.TokenCache()) is None
    async with sessions() as session:
        stored = [tuple(row) for row in await session.execute(select(tokens_table))]
    assert stored and not any(token in str(value) for row in stored for value in row)
    [listed] = await tokens.list_tokens(sessions, "330106")
    assert (listed.label, listed.active) == ("ledger system", True)
    assert token.startswith(listed.prefix) and listed.prefix != token


async def test_issuing_refuses_a_county_code_that_is_not_six_digits(sessions: async_sessionmaker) -> None:
    with pytest.raises(ValueError):
        await tokens.issue_token(sessions, "33010", "x")


async def test_rotation_revokes_the_county_s_old_tokens_at_once_and_leaves_other_counties_alone(sessions: async_sessionmaker) -> None:
    old_a, old_b = await tokens.issue_token(sessions, "330106", "a"), await tokens.issue_token(sessions, "330106", "b")
    other = await tokens.issue_token(sessions, "330108", "c")
    cache = tokens.TokenCache()
    assert await tokens.authenticate(sessions, old_a, cache) == "330106"  # now cached
    new = await tokens.rotate_tokens(sessions, "330106", "rotated", cache=cache)
    assert await tokens.authenticate(sessions, old_a, cache) is None
    assert await tokens.authenticate(sessions, old_b, cache) is None
    assert await tokens.authenticate(sessions, new, cache) == "330106"
    assert await tokens.authenticate(sessions, other, cache) == "330108"
    assert [(info.label, info.active) for info in await tokens.list_tokens(sessions, "330106")] == [
        ("a", False), ("b", False), ("rotated", True),
    ]


async def test_revoke_by_id_by_prefix_or_by_the_token(sessions: async_sessionmaker) -> None:
    first, second, third = [await tokens.issue_token(sessions, "330106", label) for label in ("1", "2", "3")]
    infos = await tokens.list_tokens(sessions)
    assert (await tokens.revoke_token(sessions, str(infos[0].id))).label == "1"
    assert (await tokens.revoke_token(sessions, infos[1].prefix)).label == "2"
    assert (await tokens.revoke_token(sessions, third)).label == "3"
    for token in (first, second, third):
        assert await tokens.authenticate(sessions, token, tokens.TokenCache()) is None
    with pytest.raises(tokens.TokenNotFound):
        await tokens.revoke_token(sessions, "tj_999999_nothere")
    with pytest.raises(tokens.TokenNotFound):
        await tokens.revoke_token(sessions, "12345")


async def test_a_prefix_shared_by_two_active_tokens_is_refused(sessions: async_sessionmaker) -> None:
    await tokens.issue_token(sessions, "330106", "1")
    await tokens.issue_token(sessions, "330106", "2")
    with pytest.raises(tokens.AmbiguousToken):
        await tokens.revoke_token(sessions, "tj_330106_")
    assert all(info.active for info in await tokens.list_tokens(sessions))


async def test_a_revocation_made_elsewhere_takes_effect_when_the_cached_lookup_expires(sessions: async_sessionmaker) -> None:
    now = [1000.0]
    serving = tokens.TokenCache(ttl=30.0, monotonic=lambda: now[0])
    token = await tokens.issue_token(sessions, "330106", "x")
    assert await tokens.authenticate(sessions, token, serving) == "330106"
    await tokens.revoke_token(sessions, token, cache=tokens.TokenCache())  # e.g. the CLI in another process
    now[0] += 29.0
    assert await tokens.authenticate(sessions, token, serving) == "330106"
    now[0] += 1.5
    assert await tokens.authenticate(sessions, token, serving) is None
