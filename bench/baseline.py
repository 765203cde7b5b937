"""The raw baseline: a bare nats-py pull consumer that commits each fetched batch to the database."""
from __future__ import annotations

import asyncio
import json
import time

import nats
from sqlalchemy import JSON, Column, MetaData, String, Table, insert

from shared.db import create_schema, make_engine

metadata = MetaData()
rows = Table("baseline_updates", metadata, Column("event_id", String(36), primary_key=True), Column("body", JSON, nullable=False))


async def run_baseline(nats_url: str, database_url: str, schema: str | None, n: int, batch: int = 200) -> int:
    """Publish n small updates, then consume them: fetch a batch, insert it in one transaction, ack."""
    await create_schema(database_url, schema)
    engine = make_engine(database_url, schema)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    await js.add_stream(name="BASELINE", subjects=["baseline.updates"])
    for start in range(0, n, 1000):
        futures = [await js.publish_async("baseline.updates", json.dumps({"event_id": f"{i:036d}", "name": f"基准{i}"}).encode())
                   for i in range(start, min(n, start + 1000))]
        await asyncio.gather(*futures)
    subscription = await js.pull_subscribe("baseline.updates", durable="baseline")
    consumed, started = 0, time.monotonic()
    while consumed < n:
        messages = await subscription.fetch(batch, timeout=5)
        bodies = [json.loads(m.data) for m in messages]
        async with engine.begin() as connection:
            await connection.execute(insert(rows), [{"event_id": b["event_id"], "body": b} for b in bodies])
        await asyncio.gather(*(m.ack() for m in messages))
        consumed += len(messages)
    elapsed = time.monotonic() - started
    await nc.close()
    await engine.dispose()
    return round(n / elapsed)
