"""The demo side of `make run`: tokens for the demo counties, their ledgers posted, the pipeline followed."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from nats.aio.client import Client as NatsClient

from services.intake.tokens import rotate_tokens
from shared import subjects
from shared.db import make_engine, session_factory

DATA = Path(__file__).parent / "demo" / "data"
FACT_NAMES = {"raised": "新预警", "escalated": "升级", "resolved": "已消除"}


def demo_counties() -> list[str]:
    return sorted(path.stem for path in DATA.glob("*.json"))


async def issue_demo_tokens(database_url: str) -> dict[str, str]:
    engine = make_engine(database_url)
    try:
        return {county: await rotate_tokens(session_factory(engine), county, "make run demo") for county in demo_counties()}
    finally:
        await engine.dispose()


async def post_demo_data(intake_url: str, tokens: dict[str, str]) -> dict[str, Any]:
    """Post each county's ledger the way a county system would; re-posting is harmless (stable ids)."""
    summary: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=intake_url, timeout=60) as client:
        for county in demo_counties():
            items = json.loads((DATA / f"{county}.json").read_text(encoding="utf-8"))
            response = await client.post(f"/v1/counties/{county}/updates", json=items, headers={"Authorization": f"Bearer {tokens[county]}"})
            results = response.json().get("results", [])
            summary[county] = {"http": response.status_code, "accepted": sum(r.get("status") == "accepted" for r in results),
                               "rejected": sum(r.get("status") == "rejected" for r in results)}
    return {"demo data posted": summary}


async def follow_pipeline(nc: NatsClient) -> None:
    """Print escalations and notifications as they pass (a plain subscription: it consumes nothing)."""

    async def on_escalation(msg) -> None:  # type: ignore[no-untyped-def]
        event = json.loads(msg.data)
        fact = msg.subject.rsplit(".", 1)[-1]
        print(f"[{event['county_code']}] {FACT_NAMES.get(fact, fact)} L{event['level']} {event['level_name']}: {event['summary']}")

    async def on_notification(msg) -> None:  # type: ignore[no-untyped-def]
        event = json.loads(msg.data)
        print(f"[{event['county_code']}]   → 已通知 {event['person']}（{event['recipient']['name']}，{event['channel']}）")

    await nc.subscribe(subjects.escalation(), cb=on_escalation)
    await nc.subscribe(subjects.notification_sent(), cb=on_notification)
