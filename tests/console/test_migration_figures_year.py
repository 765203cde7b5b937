"""Migration 0004: projects projected before it get the year of their plan and year-to-date figures from their snapshot."""
from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import text

import services.console as console_package
from shared.db import make_engine, migrate

MIGRATIONS = Path(console_package.__file__).parent / "migrations"


async def test_rows_from_before_get_the_year_of_their_newest_ledger_month(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'console.db'}"
    await migrate(MIGRATIONS, url, None, "0003")
    snapshots = {"ledger": {"ledger": [{"month": "2025-11"}, {"month": "2025-12"}], "ledger_month": "2025-10"},
                 "flat": {"ledger_month": "2026-02"}, "none": {}}
    engine = make_engine(url, None)
    async with engine.begin() as connection:
        for project_id, snapshot in snapshots.items():
            await connection.execute(text(
                "INSERT INTO projects (project_id, county_code, colour_fresh, colour_stale, version, snapshot, updated_at)"
                " VALUES (:id, '330106', 'green', 'grey', 1, :snapshot, '2026-03-01 00:00:00')"), {"id": project_id, "snapshot": json.dumps(snapshot)})
    await migrate(MIGRATIONS, url)
    async with engine.connect() as connection:
        years = dict((await connection.execute(text("SELECT project_id, figures_year FROM projects"))).all())
    await engine.dispose()
    assert years == {"ledger": 2025, "flat": 2026, "none": None}
