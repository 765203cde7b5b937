"""The demo side of `make run`: tokens for the demo counties, their ledgers posted, the pipeline followed."""
from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import httpx
from nats.aio.client import Client as NatsClient
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.intake.tables import tokens as token_table
from services.intake.tokens import TokenNotFound, hash_token, issue_token, revoke_token
from shared import subjects
from shared.db import make_engine, session_factory

DATA = Path(__file__).parent / "demo" / "data"
# Who signs in to the console in the demo: (login suffix, name, role, department or the leader's name in the facts).
DEMO_PEOPLE: dict[str, tuple[tuple[str, str, str, str | None], ...]] = {
    "330106": (("office", "西湖区项目办", "office", None), ("leader", "陈立新", "leader", "陈立新"),
               ("zrzy", "西湖区自然资源局", "department", "自然资源局"), ("zjj", "西湖区住建局", "department", "住建局"),
               ("fgj", "西湖区发改局", "department", "发改局"), ("view", "西湖区观察员", "readonly", None)),
    "330782": (("office", "义乌市项目办", "office", None), ("leader", "王晓东", "leader", "王晓东"),
               ("zrzy", "义乌市自然资源局", "department", "自然资源局"), ("zjj", "义乌市住建局", "department", "住建局"),
               ("fgj", "义乌市发改局", "department", "发改局"), ("view", "义乌市观察员", "readonly", None)),
}
FACT_NAMES = {"raised": "新预警", "escalated": "升级", "resolved": "已解除"}


def demo_counties() -> list[str]:
    return sorted(path.stem for path in DATA.glob("*.json"))


# The label the demo tokens are issued under, not a secret (bandit B105).
DEMO_TOKEN_LABEL = "make run demo"  # nosec B105
ISSUED_FILE = "demo-tokens.json"  # under var/: the ids of the tokens the last run issued, the only ones we may revoke


async def issue_demo_tokens(database_url: str, var: Path) -> dict[str, str]:
    """A new token per demo county; the previous run's demo tokens are revoked, and no others.

    A county's own tokens (`tuijin intake tokens-issue` for a demo county code) keep working: they
    are not ours, whatever their label says.
    """
    engine = make_engine(database_url)
    ledger = var / ISSUED_FILE
    try:
        sessions = session_factory(engine)
        previous = _read_ids(ledger)
        issued = {county: await issue_token(sessions, county, DEMO_TOKEN_LABEL) for county in demo_counties()}
        ids = [await _token_id(sessions, token) for token in issued.values()]
        ledger.write_text(json.dumps(sorted(set(previous) | set(ids))), encoding="utf-8")  # a crash below loses nothing
        for token_id in previous:
            with contextlib.suppress(TokenNotFound):
                await revoke_token(sessions, str(token_id))
        ledger.write_text(json.dumps(ids), encoding="utf-8")
        return issued
    finally:
        await engine.dispose()


def _read_ids(ledger: Path) -> list[int]:
    try:
        ids = json.loads(ledger.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    return [token_id for token_id in ids if isinstance(token_id, int)] if isinstance(ids, list) else []


async def _token_id(sessions: async_sessionmaker, token: str) -> int:
    async with sessions() as session:
        return (await session.execute(select(token_table.c.id).where(token_table.c.token_hash == hash_token(token)))).scalar_one()


async def issue_demo_people(database_url: str, schema: str | None = None) -> dict[str, list[tuple[str, str, str]]]:
    """Console logins per demo county, (login, password, role); passwords are new on every run, old ones stop working."""
    from services.escalation.cases.people import add_person, rotate_token

    engine = make_engine(database_url, schema)
    issued: dict[str, list[tuple[str, str, str]]] = {}
    try:
        sessions = session_factory(engine)
        for county, persons in DEMO_PEOPLE.items():
            for suffix, name, role, department in persons:
                login = f"{suffix}_{county}"
                try:
                    _, token = await add_person(sessions, county, login, name, role, department)
                except ValueError:  # a previous run made them: give them a new password
                    _, token = await rotate_token(sessions, login)
                issued.setdefault(county, []).append((login, token, role))
    finally:
        await engine.dispose()
    return issued


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
    return summary


def posted_line(summary: dict[str, Any]) -> str:
    """What was posted, as the banner's reader reads it."""
    return "演示数据已报送：" + "；".join(f"{county} 接收{s['accepted']}条、拒收{s['rejected']}条（HTTP {s['http']}）"
                                    for county, s in summary.items())


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
