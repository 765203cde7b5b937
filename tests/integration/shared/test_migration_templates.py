"""The suite's PostgreSQL schemas after the first are replayed from a recording (tests/support/migrated.py): each must be
the schema Alembic makes, or every PostgreSQL test would run on a database no deployment has."""
from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from shared.db import create_schema, make_engine, migrate
from tests.conftest import drop_schema
from tests.support import migrated

SERVICES = Path(__file__).resolve().parents[3] / "services"
CATALOGUE = {
    "columns": "SELECT table_name, column_name, data_type, is_nullable, coalesce(column_default, '') FROM information_schema.columns"
               " WHERE table_schema = :schema",
    "indexes": "SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = :schema",
    "constraints": "SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid) FROM pg_constraint"
                   " WHERE connamespace = :schema ::regnamespace",
    "revision": "SELECT version_num FROM alembic_version",
}


async def catalogue(url: str, schema: str) -> dict[str, list[tuple[str, ...]]]:
    engine = make_engine(url, schema)
    async with engine.connect() as connection:
        described = {name: sorted(tuple(str(value).replace(schema, "<schema>") for value in row)
                                  for row in await connection.execute(text(query), {"schema": schema}))
                     for name, query in CATALOGUE.items()}
        tables = [row[0] for row in await connection.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = :schema"),
                                                             {"schema": schema})]
        described["rows"] = sorted([(table, str((await connection.execute(text(f'SELECT count(*) FROM "{table}"'))).scalar()))
                                    for table in tables])
    await engine.dispose()
    return described


@pytest.mark.postgres
@pytest.mark.parametrize("service", ["intake", "tracker", "escalation", "notifier", "console"])
async def test_a_replayed_schema_is_the_schema_alembic_makes(service: str, postgres_url: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    migrations = SERVICES / service / "migrations"
    by_alembic, recorded, replayed = (f"t_{uuid.uuid4().hex[:12]}" for _ in range(3))
    alembic_upgrade = getattr(command.upgrade, "alembic_upgrade", command.upgrade)
    monkeypatch.setattr(command, "upgrade", command.upgrade)  # restored afterwards: the suite's own templates again
    migrated.install(tmp_path)  # templates of this test's own, so the first schema below is the one recorded
    replays: list[bool] = []

    async def replay(*args: Any) -> bool:
        replays.append(await replay_script(*args))
        return replays[-1]

    replay_script = migrated._replay
    monkeypatch.setattr(migrated, "_replay", replay)
    try:
        await create_schema(postgres_url, by_alembic)
        config = Config()
        config.set_main_option("script_location", str(migrations))
        config.attributes.update(url=postgres_url, schema=by_alembic)
        await asyncio.to_thread(alembic_upgrade, config, "head")
        await migrate(migrations, postgres_url, recorded)
        assert replays == [], "the first schema was not the one recorded"
        await migrate(migrations, postgres_url, replayed)
        assert replays == [True], "the second schema was not replayed"

        expected = await catalogue(postgres_url, by_alembic)
        assert expected["columns"] and expected["revision"]
        assert await catalogue(postgres_url, recorded) == expected
        assert await catalogue(postgres_url, replayed) == expected
    finally:
        for schema in (by_alembic, recorded, replayed):
            drop_schema(schema)
