"""The raw baselines: a bare nats-py pull consumer that commits each fetched batch (one hop), and four of them in a chain."""
from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Any

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


HOPS = 4


@dataclass(frozen=True)
class ChainRun:
    per_second: int  # messages through all four hops
    hop_cpu_seconds: float  # the four processes' own, summed, from each one's first fetch to its end


def run_four_hops(nats_url: str, database_url: str | None, workdir: str, schema: str | None, n: int, batch: int = 200) -> ChainRun:
    """The in-run baseline for the whole pipeline: four bare nats-py consumers, each in its own process with its own
    database (like the four services), each fetching a batch from the previous hop's stream, committing it in one
    transaction, publishing every message to the next hop, then acking. Messages/s through all four hops, and the CPU
    the hops used (the figure to set beside the services' CPU per update)."""
    import multiprocessing

    asyncio.run(_prepare_hops(nats_url, n))
    context = multiprocessing.get_context("spawn")
    times = context.Queue()
    processes = [context.Process(target=_hop_process, args=(nats_url, _hop_url(database_url, workdir, k), _hop_schema(schema, k), k, n,
                                                             batch, times)) for k in range(1, HOPS + 1)]
    for process in processes:
        process.start()
    spans = [times.get(timeout=600) for _ in processes]
    for process in processes:
        process.join()
    if any(process.exitcode for process in processes):
        raise RuntimeError("a baseline hop failed")
    # From the first hop's first batch to the last hop's last commit (CLOCK_MONOTONIC is one clock for every process).
    elapsed = max(last for _, last, _ in spans) - min(first for first, _, _ in spans)
    return ChainRun(round(n / elapsed), sum(cpu for _, _, cpu in spans))


def _hop_url(database_url: str | None, workdir: str, k: int) -> str:
    return database_url or f"sqlite+aiosqlite:///{workdir}/hop{k}.db"


def _hop_schema(schema: str | None, k: int) -> str | None:
    return f"{schema}_hop{k}" if schema else None


async def _prepare_hops(nats_url: str, n: int) -> None:
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    for k in range(HOPS + 1):
        await js.add_stream(name=f"HOP{k}", subjects=[f"hop.{k}"])
    for start in range(0, n, 1000):
        futures = [await js.publish_async("hop.0", json.dumps({"event_id": f"{i:036d}", "name": f"基准{i}"}).encode())
                   for i in range(start, min(n, start + 1000))]
        await asyncio.gather(*futures)
    await nc.close()


def _hop_process(nats_url: str, database_url: str, schema: str | None, k: int, n: int, batch: int, times: Any) -> None:
    times.put(asyncio.run(_hop(nats_url, database_url, schema, k, n, batch)))


async def _hop(nats_url: str, database_url: str, schema: str | None, k: int, n: int, batch: int) -> tuple[float, float, float]:
    await create_schema(database_url, schema)
    engine = make_engine(database_url, schema)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    nc = await nats.connect(nats_url)
    js = nc.jetstream()
    subscription = await js.pull_subscribe(f"hop.{k - 1}", durable=f"hop{k}", stream=f"HOP{k - 1}")
    consumed, first, cpu_from = 0, None, 0.0
    while consumed < n:
        try:
            messages = await subscription.fetch(batch, timeout=1)
        except TimeoutError:  # nats-py's own, or asyncio's when the deadline passes between its two requests
            continue
        if first is None:
            first, cpu_from = time.monotonic(), time.process_time()
        bodies = [json.loads(m.data) for m in messages]
        async with engine.begin() as connection:
            await connection.execute(insert(rows), [{"event_id": b["event_id"], "body": b} for b in bodies])
        if k < HOPS:
            await asyncio.gather(*[await js.publish_async(f"hop.{k}", m.data) for m in messages])
        await asyncio.gather(*(m.ack() for m in messages))
        consumed += len(messages)
    last, cpu = time.monotonic(), time.process_time() - cpu_from
    await nc.close()
    await engine.dispose()
    return first or last, last, cpu
