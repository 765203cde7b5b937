"""The operator CLI on a real database: tokens and the quarantine."""
from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from typer.testing import CliRunner

from services.intake import quarantine, tokens
from services.intake.cli import app
from services.intake.domain import triage
from shared.db import make_engine, session_factory

runner = CliRunner()


@pytest.fixture
def database_env(database: tuple[str, str | None], monkeypatch: pytest.MonkeyPatch) -> tuple[str, str | None]:
    url, schema = database
    monkeypatch.setenv("INTAKE_DATABASE_URL", url)
    if schema:
        monkeypatch.setenv("INTAKE_DATABASE_SCHEMA", schema)
    return database


def _authenticate(database: tuple[str, str | None], token: str) -> str | None:
    async def run() -> str | None:
        engine = make_engine(*database)
        try:
            return await tokens.authenticate(session_factory(engine), token, tokens.TokenCache())
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_issue_list_rotate_and_revoke_tokens(database_env: tuple[str, str | None]) -> None:
    issued = runner.invoke(app, ["tokens-issue", "330106", "--label", "ledger"])
    assert issued.exit_code == 0, issued.output
    first = issued.stdout.strip()
    assert first.startswith("tj_330106_") and _authenticate(database_env, first) == "330106"

    listing = runner.invoke(app, ["tokens-list", "--county", "330106"])
    assert listing.exit_code == 0 and "ledger" in listing.stdout and "active" in listing.stdout
    assert first not in listing.stdout

    rotated = runner.invoke(app, ["tokens-rotate", "330106"])
    second = rotated.stdout.strip()
    assert rotated.exit_code == 0 and second != first
    assert _authenticate(database_env, first) is None and _authenticate(database_env, second) == "330106"

    token_id = runner.invoke(app, ["tokens-list"]).stdout.splitlines()[-1].split("\t")[0]
    revoked = runner.invoke(app, ["tokens-revoke", token_id])
    assert revoked.exit_code == 0, revoked.output
    assert _authenticate(database_env, second) is None
    assert "active" not in runner.invoke(app, ["tokens-list"]).stdout


def test_bad_input_is_an_error_not_a_traceback(database_env: tuple[str, str | None]) -> None:
    assert runner.invoke(app, ["tokens-issue", "12"]).exit_code == 1
    missing = runner.invoke(app, ["tokens-revoke", "999"])
    assert missing.exit_code == 1 and "no token" in missing.stderr


def test_rejected_prints_the_items_with_their_errors(database_env: tuple[str, str | None]) -> None:
    now = datetime(2026, 3, 2, tzinfo=UTC)
    bad = {"local_id": "L-9", "source_system": "s", "source_record_id": "r", "source_record_time": "2026-03-01T00:00:00Z", "stage": "flying"}
    runner.invoke(app, ["tokens-list"])  # creates the tables

    async def keep() -> None:
        engine = make_engine(*database_env)
        await quarantine.keep(session_factory(engine), "330106", uuid4(), now, triage("330106", [bad], now).rejected)
        await engine.dispose()

    asyncio.run(keep())
    printed = runner.invoke(app, ["rejected", "330106", "--limit", "5"])
    assert printed.exit_code == 0, printed.output
    assert "stage: 项目阶段：应为以下之一" in printed.stdout and '"L-9"' in printed.stdout
    assert "no rejected items" in runner.invoke(app, ["rejected", "330107"]).stderr
