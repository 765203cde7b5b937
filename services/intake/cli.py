"""Operator commands for intake: county tokens and the quarantine (composed into the top-level `tuijin` CLI)."""
from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.intake import quarantine, tokens
from services.intake.cli_profiles import app as profile_app
from services.intake.cli_uploads import app as uploads_app
from services.intake.settings import Settings
from services.intake.token_events import announce_revoked
from shared.db import run_on_store

MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")

app = typer.Typer(name="intake", help="Intake: county tokens, rejected items and spreadsheet uploads.", no_args_is_help=True)
app.add_typer(uploads_app, name="uploads")
app.add_typer(profile_app, name="profile")


def _run(work: Callable[[async_sessionmaker], Awaitable[T]]) -> T:
    settings = Settings()
    return run_on_store(MIGRATIONS, settings.database_url, settings.database_schema, work)


def _announce(token_ids: set[int]) -> str:
    """Running intakes drop the tokens at once when told over NATS; otherwise within their cache TTL."""
    settings = Settings()
    if not token_ids:
        return "none was active"
    if asyncio.run(announce_revoked(settings.nats_url, token_ids, settings.nats_nkey_seed_file)):
        return "running intakes refuse them from now on"
    return f"running intakes refuse them within {tokens.TTL_SECONDS:.0f} s (NATS not reachable to tell them at once)"


async def _rotate(sessions: async_sessionmaker, county: str, label: str) -> tuple[str, set[int]]:
    active = {info.id for info in await tokens.list_tokens(sessions, county) if info.active}
    return await tokens.rotate_tokens(sessions, county, label), active


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(1)


@app.command("tokens-issue")
def tokens_issue(county: str, label: Annotated[str, typer.Option(help="who or what uses the token")] = "") -> None:
    """Issue a token for COUNTY and print it (shown only this once)."""
    try:
        token = _run(lambda sessions: tokens.issue_token(sessions, county, label))
    except ValueError as error:
        _fail(str(error))
    typer.echo(token)
    typer.echo("Keep it now: only its hash is stored.", err=True)


@app.command("tokens-rotate")
def tokens_rotate(county: str, label: Annotated[str, typer.Option(help="label of the new token")] = "") -> None:
    """Revoke every active token of COUNTY and print a new one."""
    try:
        token, revoked = _run(lambda sessions: _rotate(sessions, county, label))
    except ValueError as error:
        _fail(str(error))
    typer.echo(token)
    typer.echo(f"Old tokens revoked ({_announce(revoked)}).", err=True)


@app.command("tokens-revoke")
def tokens_revoke(token_id: Annotated[str, typer.Argument(metavar="ID", help="token id, or its listed prefix")]) -> None:
    """Revoke one token, by id or prefix."""
    try:
        info = _run(lambda sessions: tokens.revoke_token(sessions, token_id))
    except (LookupError, ValueError) as error:
        _fail(str(error))
    typer.echo(f"revoked {info.id} {info.prefix}… ({info.county_code} {info.label}); {_announce({info.id})}")


@app.command("tokens-list")
def tokens_list(county: Annotated[str | None, typer.Option(help="only this county")] = None) -> None:
    """List tokens (never their plaintext)."""
    infos = _run(lambda sessions: tokens.list_tokens(sessions, county))
    for info in infos:
        state = f"revoked {info.revoked_at:%Y-%m-%d %H:%M}" if info.revoked_at else "active"
        typer.echo(f"{info.id}\t{info.county_code}\t{info.prefix}…\t{state}\t{info.created_at:%Y-%m-%d %H:%M}\t{info.label}")


@app.command("rejected")
def rejected(county: str, limit: Annotated[int, typer.Option(min=1, max=1000)] = 20) -> None:
    """Print COUNTY's newest quarantined items with their errors."""
    items = _run(lambda sessions: quarantine.newest(sessions, county, limit))
    for item in items:
        typer.echo(f"{item.received_at:%Y-%m-%d %H:%M:%S} batch {item.batch_id} item {item.index}")
        for error in item.errors:
            typer.echo(f"  {error.field}: {error.message}")
        typer.echo(f"  {json.dumps(item.item, ensure_ascii=False)}")
    if not items:
        typer.echo("no rejected items", err=True)
