"""A fresh database in the suite starts from its service's migrations made earlier in this worker: a copy, a replay.

The suite creates some 550 fresh SQLite databases (apps built in process, forked services, direct `migrate` calls),
and Alembic spent ~50 ms of CPU bringing each of escalation's to head: 20 of the suite's core-seconds. Here the first
fresh database of each service per test worker is migrated by Alembic into a private file (the template), and every
fresh one after it is a copy. Only `alembic.command.upgrade(config, "head")` on a missing or empty SQLite file is
served so; a database that exists (a service restarted on its file, an older schema brought up) is migrated by
Alembic as before, so the migrations themselves still run in every worker.

PostgreSQL cannot copy a schema, and some 270 fresh ones cost Alembic ~70 ms of client CPU each. There the first
fresh schema of each service per worker is migrated by Alembic while the statements it sends are recorded; a fresh
schema after it gets the same statements replayed as one script, in one transaction under an advisory lock. Only
parameterless statements that write are recorded (Alembic's reads of the catalogue are not needed to replay); a
migration that sends anything else is never replayed, nor is a schema that already holds a table.
"""
from __future__ import annotations

import asyncio
import os
import shutil
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.db import make_engine

TEMPLATES_VARIABLE = "TUIJIN_TEST_MIGRATED_TEMPLATES"


def _fresh_sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database)
    return None if path.exists() and path.stat().st_size else path


class _Recorder(threading.local):
    statements: list[str] | None = None  # while this thread's Alembic migrates a template schema
    replayable = True


_recorder = _Recorder()


@event.listens_for(Engine, "before_cursor_execute")
def _record(_connection: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _executemany: bool) -> None:
    if _recorder.statements is None or statement.lstrip().upper().startswith(("SELECT", "SHOW")):
        return
    if parameters:
        _recorder.replayable = False
    _recorder.statements.append(statement)


def _postgres_schema(config: Config) -> str | None:
    url, schema = config.attributes.get("url", ""), config.attributes.get("schema")
    return schema if schema and make_url(url).get_backend_name() == "postgresql" else None


def _migrate_schema(script: Path, config: Config, schema: str, upgrade: Any) -> None:
    """A schema holding no table gets the recorded migration (recorded now if it is the first); any other, Alembic."""
    url = config.attributes["url"]
    if script.exists():
        if not asyncio.run(_in_schema(url, schema, lambda connection: _replay(connection, schema, script.read_text("utf-8")))):
            upgrade(config, "head")
        return
    if not asyncio.run(_in_schema(url, schema, lambda connection: _holds_no_table(connection, schema))):
        upgrade(config, "head")
        return
    _recorder.statements, _recorder.replayable = [], True
    try:
        upgrade(config, "head")
    finally:
        statements, replayable, _recorder.statements = _recorder.statements, _recorder.replayable, None
    if replayable and not any(schema in statement for statement in statements):
        scratch = script.with_name(f".{script.name}.{os.getpid()}")
        scratch.write_text(";\n".join(statements), encoding="utf-8")
        os.replace(scratch, script)


async def _in_schema(url: str, schema: str, work: Callable[[AsyncConnection], Awaitable[bool]]) -> bool:
    engine = make_engine(url, schema)
    try:
        async with engine.begin() as connection:
            return await work(connection)
    finally:
        await engine.dispose()


async def _holds_no_table(connection: AsyncConnection, schema: str) -> bool:
    found = await connection.execute(text("SELECT 1 FROM pg_tables WHERE schemaname = :schema LIMIT 1"), {"schema": schema})
    return found.first() is None


async def _replay(connection: AsyncConnection, schema: str, script: str) -> bool:
    """Run the script if the schema holds no table (under a lock: replicas may start on one schema); False if it does."""
    await connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:schema))"), {"schema": schema})
    if not await _holds_no_table(connection, schema):
        return False
    raw = await connection.get_raw_connection()
    await raw.driver_connection.execute(script)  # type: ignore[union-attr]  # asyncpg: one simple query, many statements
    return True


def install(templates: Path) -> None:
    """From now on in this process (and what it forks), fresh SQLite databases are copies of templates in `templates`, and
    fresh PostgreSQL schemas replay recordings kept there."""
    upgrade = getattr(command.upgrade, "alembic_upgrade", command.upgrade)

    def upgrade_from_template(config: Config, revision: str, *args: Any, **kwargs: Any) -> None:
        url = config.attributes.get("url", "")
        to_head = revision == "head" and not args and not kwargs
        script_location = config.get_main_option("script_location") or ""
        name = script_location.strip("/").replace("/", "_")
        if to_head and (schema := _postgres_schema(config)):
            return _migrate_schema(templates / f"{name}.sql", config, schema, upgrade)
        path = _fresh_sqlite_file(url) if to_head else None
        if path is None:
            return upgrade(config, revision, *args, **kwargs)
        template = templates / f"{name}.db"
        if not template.exists():  # migrated in a file of its own: no service ever opens the template
            scratch = templates / f".{template.name}.{os.getpid()}"
            private = Config()
            private.set_main_option("script_location", script_location)
            private.attributes.update(config.attributes, url=make_url(url).set(database=str(scratch)).render_as_string())
            upgrade(private, "head")
            os.replace(scratch, template)
        copy = path.with_name(f".{path.name}.{os.getpid()}.migrated")
        shutil.copyfile(template, copy)
        try:
            os.link(copy, path)  # whole or not at all: a replica starting on the same file sees no half copy
        except FileExistsError:  # another process created it meanwhile: Alembic finds it migrated, or migrates it
            upgrade(config, revision)
        finally:
            copy.unlink()
        return None

    upgrade_from_template.alembic_upgrade = upgrade  # type: ignore[attr-defined]
    templates.mkdir(parents=True, exist_ok=True)
    command.upgrade = upgrade_from_template


def install_from_environment() -> None:
    if templates := os.environ.get(TEMPLATES_VARIABLE):
        install(Path(templates))
