"""Open-loop load for bench.pipeline: updates arrive at a constant rate whatever the responses, so the latency
measured is the pipeline's at that offered load, not the queue of a burst.

The load generator shares the 2 cores with what it measures, so it posts with aiohttp: httpx cost 260-320 µs of this
process's CPU per update at 1,000/s (~1 ms per POST), aiohttp 116-118, and with that core share back the system's
notification p99 on PostgreSQL read 149 and 164 ms instead of 459 and 187 (30 s runs, alternated).
The run prints what the generator used (`load_generator_cpu_us_per_update`)."""
from __future__ import annotations

import asyncio
import time

import aiohttp

TICK = 0.01  # one POST every 10 ms carries the updates due in it: at 250/s that is 2-3 updates, at 1,000/s 10


async def post_at_rate(base_url: str, updates: list[tuple[str, dict]], tokens: dict[str, str], rate: float,
                       sent_at: dict[str, float]) -> int:
    """POST `updates` at `rate` per second, on schedule (late ticks catch up, none waits for an answer); failed POSTs."""
    failures = 0
    async with aiohttp.ClientSession(base_url, connector=aiohttp.TCPConnector(limit=200),
                                     timeout=aiohttp.ClientTimeout(total=60)) as client:
        async def post(county: str, items: list[dict]) -> None:
            nonlocal failures
            started = time.monotonic()
            try:
                async with client.post(f"/v1/counties/{county}/updates", json=items,
                                       headers={"Authorization": f"Bearer {tokens[county]}"}, raise_for_status=True) as response:
                    results = (await response.json())["results"]
            except (aiohttp.ClientError, TimeoutError):
                failures += len(items)
                return
            for result in results:
                sent_at[result["event_id"]] = started

        tasks, due, start = [], 0, time.monotonic()
        while due < len(updates):
            ready = min(len(updates), int((time.monotonic() - start) * rate) + 1)
            batch, due = updates[due:ready], ready
            for county in {c for c, _ in batch}:
                tasks.append(asyncio.create_task(post(county, [item for c, item in batch if c == county])))
            await asyncio.sleep(TICK)
        await asyncio.gather(*tasks)
    return failures


def summary(label: str, latencies_ms: list[float], expected: int, within_ms: float = 5000) -> dict:
    """p50/p95/p99/max and how many arrived within `within_ms` of their POST (the rest are stranded or late)."""
    ordered = sorted(latencies_ms)
    if not ordered:
        return {f"{label}_arrived": f"0/{expected}"}

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {f"{label}_p50_ms": at(0.5), f"{label}_p95_ms": at(0.95), f"{label}_p99_ms": at(0.99), f"{label}_max_ms": round(ordered[-1], 1),
            f"{label}_within_5s": f"{sum(1 for v in ordered if v <= within_ms)}/{expected}"}
