"""`tuijin dead-letters`: what each consuming service kept after a message failed for good, and its replay.

Reads the service's own database and NATS from that service's settings (TRACKER_*, ESCALATION_*,
NOTIFIER_* environment variables), so it runs wherever the service's configuration is.
"""
from __future__ import annotations

import asyncio
import importlib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import Table

from shared.db import make_engine, migrate, session_factory
from shared.dead_letters import list_dead_letters, replay
from shared.messaging import connect
from shared.settings import ServiceSettings

app = typer.Typer(name="dead-letters", help="Messages that failed for good: list them, replay them after a fix.", no_args_is_help=True)
REASON_WIDTH = 70


class Service(StrEnum):
    tracker = "tracker"
    escalation = "escalation"
    notifier = "notifier"


@dataclass
class Target:
    settings: ServiceSettings
    table: Table
    migrations: Path


def target(service: Service) -> Target:
    """Imported on demand: each service's settings and tables are its own, nothing is shared."""
    package = importlib.import_module(f"services.{service.value}")
    settings = importlib.import_module(f"services.{service.value}.settings").Settings()
    table = importlib.import_module(f"services.{service.value}.tables").dead_letters
    return Target(settings, table, Path(package.__file__).parent / "migrations")


async def _with_sessions(where: Target, work: Any) -> Any:
    # Migrating first is what the service itself does on start; it makes `replayed_at` exist.
    await migrate(where.migrations, where.settings.database_url, where.settings.database_schema)
    engine = make_engine(where.settings.database_url, where.settings.database_schema)
    try:
        return await work(session_factory(engine))
    finally:
        await engine.dispose()


def _line(row: dict[str, Any]) -> str:
    reason = " ".join(str(row["reason"]).split())
    if len(reason) > REASON_WIDTH:
        reason = reason[:REASON_WIDTH - 1] + "…"
    state = f"replayed {row['replayed_at']:%Y-%m-%d %H:%M}" if row["replayed_at"] else "pending"
    return f"{row['id']:>6}  {row['received_at']:%Y-%m-%d %H:%M:%S}  {row['subject']:<34} {row['message_id'] or '-':<36}  {state:<25} {reason}"


ServiceOption = Annotated[Service, typer.Option("--service", "-s", help="whose dead letters")]


@app.command("list")
def list_command(
    service: ServiceOption,
    all_: Annotated[bool, typer.Option("--all", help="include those already replayed")] = False,
    limit: Annotated[int, typer.Option(help="newest first, at most this many")] = 50,
) -> None:
    """Dead letters of a service, newest first: id, when kept (UTC), subject, message id, state, reason."""
    where = target(service)
    rows = asyncio.run(_with_sessions(where, lambda sessions: list_dead_letters(sessions, where.table, limit, include_replayed=all_)))
    if not rows:
        typer.echo(f"no {'' if all_ else 'pending '}dead letters for {service.value}")
        return
    typer.echo(f"{'ID':>6}  {'KEPT (UTC)':<19}  {'SUBJECT':<34} {'MESSAGE ID':<36}  {'STATE':<25} REASON")
    for row in rows:
        typer.echo(_line(row))


@app.command("replay")
def replay_command(
    service: ServiceOption,
    ids: Annotated[list[int] | None, typer.Option("--id", help="a dead letter's id; repeat for several")] = None,
    all_: Annotated[bool, typer.Option("--all", help="every dead letter not yet replayed")] = False,
    force: Annotated[bool, typer.Option(help="replay again those already replayed")] = False,
) -> None:
    """Send dead letters back to their original subject (with a new message id), after the fix is deployed."""
    if bool(ids) == all_:
        typer.echo("give --id N (repeatable) or --all, not both", err=True)
        raise typer.Exit(2)
    where = target(service)

    async def run(sessions: Any) -> int:
        nc = await connect(where.settings.nats_url, f"tuijin-dead-letters-{service.value}", where.settings.nats_nkey_seed_file)
        try:
            return await replay(sessions, where.table, nc.jetstream(), None if all_ else list(ids or []), force=force)
        finally:
            await nc.close()

    count = asyncio.run(_with_sessions(where, run))
    typer.echo(f"replayed {count} dead letter(s) of {service.value}")
    if ids and count < len(set(ids)):
        typer.echo("the others do not exist or were already replayed (--force replays again)")
