"""A notifier that fell behind reads only what it claims: the claim follows the due index, it does not sort the backlog."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

import services.notifier
from services.notifier.delivery import due_candidates
from services.notifier.tables import deliveries
from shared.db import make_engine, migrate, session_factory

MIGRATIONS = Path(services.notifier.__file__).parent / "migrations"
NOW = datetime(2026, 3, 2, 1, tzinfo=UTC)


def backlog(n: int) -> list[dict]:
    return [{"delivery_key": f"k{i:06d}", "county_code": "330106", "escalation_event_id": f"e{i // 3}", "escalation_id": f"x{i // 3}",
             "recipient": {}, "person": "王芳", "channel": "file", "address": "out.jsonl", "fallback": 0, "status": "pending",
             "attempts": 0, "next_attempt_at": NOW - timedelta(seconds=n - i), "created_at": NOW - timedelta(seconds=n - i)}
            for i in range(n)]


async def test_a_claim_over_a_backlog_reads_the_due_index_in_order_and_takes_the_longest_due(database) -> None:  # type: ignore[no-untyped-def]
    url, schema = database
    await migrate(MIGRATIONS, url, schema)
    engine = make_engine(url, schema)
    try:
        async with session_factory(engine)() as session, session.begin():
            await session.execute(insert(deliveries), backlog(20_000))
        query = due_candidates(NOW, 200)
        async with engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                await connection.execute(text("ANALYZE deliveries"))
            sql = str(query.compile(connection.sync_engine, compile_kwargs={"literal_binds": True}))
            prefix = "EXPLAIN QUERY PLAN " if connection.dialect.name == "sqlite" else "EXPLAIN "
            plan = "\n".join(str(row[-1]) for row in await connection.execute(text(prefix + sql)))
            claimed = list((await connection.execute(query)).scalars())
        assert "ix_deliveries_due" in plan, plan
        assert "TEMP B-TREE" not in plan and "Sort" not in plan, plan  # no sort of all 20,000 due rows to return 200
        assert claimed == [f"k{i:06d}" for i in range(200)]
    finally:
        await engine.dispose()
