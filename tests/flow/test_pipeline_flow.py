"""tracker → escalation → notifier on a real nats-server and real databases, in one event loop."""
from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import nats

from services.escalation.app import build as build_escalation
from services.escalation.settings import Settings as EscalationSettings
from services.notifier.app import build as build_notifier
from services.notifier.settings import Settings as NotifierSettings
from services.tracker.app import build as build_tracker
from services.tracker.settings import Settings as TrackerSettings
from shared import subjects
from shared.contracts import ProjectUpdate
from shared.messaging import ensure_streams, headers_for
from shared.service_token import bearer, new_token
from tests.conftest import drop_schema
from tests.support.factories import COUNTY, update, updated
from tests.support.services import eventually, running

# Beijing 2026-03-02 is the first idle day of land agreed to start on 2025-03-01 (DOMAIN.md's example).
IDLE_DAY = "fixed:2026-03-02T09:00:00+08:00"


def idle_parcel_update(record_id: str = "land-1"):
    return update(
        datetime(2026, 2, 1, tzinfo=UTC), record_id,
        name="城西智能制造产业园", stage="signed", leader="陈立新", lead_department="发改局", responsible_unit="住建局",
        land_parcel={"parcel_id": "XH2025-017", "agreed_start_date": "2025-03-01", "land_price_fen": 86_000_000_00},
    )


def overrun_update(record_id: str = "budget-1"):
    return update(
        datetime(2026, 2, 2, tzinfo=UTC), record_id, project_code="2403-330106-04-01-654321",
        name="留下街道安置房", government_funded=True, leader="陈立新", lead_department="住建局",
        budget_fen=100_000_000_00, committed_cost_fen=125_000_000_00, spent_cost_fen=90_000_000_00,
    )


SERVICE_TOKEN = new_token()


@asynccontextmanager
async def pipeline(nats_server, database, tmp_path: Path, clock: str) -> AsyncIterator[tuple[Any, httpx.AsyncClient, httpx.AsyncClient]]:
    """tracker, escalation (on `clock`) and notifier on one nats-server: JetStream, escalation's and notifier's clients."""
    url, schema = database
    schemas = {name: (f"{schema}_{name}" if schema else None) for name in ("tracker", "escalation", "notifier")}
    urls = {name: url if schema else f"sqlite+aiosqlite:///{tmp_path / name}.db" for name in schemas}
    tracker = build_tracker(TrackerSettings(nats_url=nats_server.url, database_url=urls["tracker"], database_schema=schemas["tracker"]))
    escalation = build_escalation(EscalationSettings(nats_url=nats_server.url, database_url=urls["escalation"],
                                                        database_schema=schemas["escalation"], clock=clock, service_token=SERVICE_TOKEN))
    notifier = build_notifier(NotifierSettings(nats_url=nats_server.url, database_url=urls["notifier"],
                                                  database_schema=schemas["notifier"], file_root=tmp_path))
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await ensure_streams(js)
    async with AsyncExitStack() as stack:
        stack.push_async_callback(nc.close)
        for own_schema in filter(None, schemas.values()):  # the database fixture drops only its own
            stack.callback(drop_schema, own_schema)
        await stack.enter_async_context(running(tracker))
        escalation_client = await stack.enter_async_context(running(escalation))
        escalation_client.headers.update(bearer(SERVICE_TOKEN))
        yield js, escalation_client, await stack.enter_async_context(running(notifier))


async def publish(js: Any, *items: ProjectUpdate) -> None:
    for event in map(updated, items):
        await js.publish(subjects.project_updated(COUNTY), event.model_dump_json().encode(), headers=headers_for(event))


async def test_an_update_becomes_escalations_and_notifications(nats_server, database, tmp_path: Path) -> None:
    async with pipeline(nats_server, database, tmp_path, IDLE_DAY) as (js, escalation_client, notifier_client):
        await publish(js, idle_parcel_update(), overrun_update(), idle_parcel_update())

        async def open_escalations():
            body = (await escalation_client.get(f"/internal/counties/{COUNTY}/escalations")).json()
            return body["escalations"] if len(body["escalations"]) == 2 else None

        found = {e["rule_id"]: e for e in await eventually(open_escalations)}
        assert found["R1.idle_land"]["level"] == 3  # idle today: the fee case, not the warnings before it
        assert found["R1.idle_land"]["evidence"]["idle_since"] == "2026-03-02"
        assert found["R2.budget_overrun"]["level"] == 2  # 25% over without approval: to the discipline commission

        async def sent():
            rows = (await notifier_client.get(f"/internal/counties/{COUNTY}/deliveries")).json()["deliveries"]
            all_sent = rows and all(row["status"] == "sent" for row in rows)
            # Two escalations (and their cases), and the overrun's referrals (移送) to 纪委监委 and 审计局.
            return rows if all_sent and len({row["escalation_id"] for row in rows}) == 4 else None

        deliveries = await eventually(sent)
        people = {d["person"] for d in deliveries}
        assert len(deliveries) == len({d["delivery_key"] for d in deliveries})
        outbox_files = list((tmp_path / "var" / "notifier" / "outbox" / COUNTY).glob("*.jsonl"))
        lines = [json.loads(line) for f in outbox_files for line in f.read_text(encoding="utf-8").splitlines()]
        assert {line["person"] for line in lines} == people
        assert any("城西智能制造产业园" in line["title"] + line["text"] for line in lines)
        assert len(lines) == len(deliveries)  # the re-sent update raised nothing twice


async def test_investment_is_graded_against_its_years_plan_and_its_months_figures(nats_server, database, tmp_path: Path) -> None:
    """Tracker files each plan under its year and each month's flat figures under that month, so by April:
    - the first project, whose 2027 plan came on 2 January while December's ledger, sent on the 6th, still carried 2026's,
      is graded against 2027's plan, not the newest one;
    - the second, whose March record left the year to date out, is graded on February's year to date plus March's
      investment, not on February's figure standing as March's."""
    who = {"stage": "started", "leader": "陈立新", "lead_department": "发改局", "responsible_unit": "物流园公司"}
    second = {"project_code": "2403-330106-04-01-777777", "name": "城北仓储中心", **who}
    async with pipeline(nats_server, database, tmp_path, "fixed:2027-04-10T09:00:00+08:00") as (js, escalation_client, _):
        await publish(
            js,
            update(datetime(2027, 1, 2, tzinfo=UTC), "plan-2027", name="城东物流园", annual_plan_fen=240_000_000_00, **who),
            update(datetime(2027, 1, 6, tzinfo=UTC), "ledger-2026-12", ledger_month="2026-12",
                   investment_ytd_fen=120_000_000_00, annual_plan_fen=120_000_000_00),
            update(datetime(2027, 4, 5, tzinfo=UTC), "ledger-2027-03", ledger_month="2027-03", investment_ytd_fen=0),
            update(datetime(2027, 2, 5, tzinfo=UTC), "b-01", ledger_month="2027-01", investment_month_fen=30_000_000,
                   investment_ytd_fen=30_000_000, annual_plan_fen=1_200_000_000, **second),
            update(datetime(2027, 3, 5, tzinfo=UTC), "b-02", project_code=second["project_code"], ledger_month="2027-02",
                   investment_month_fen=30_000_000, investment_ytd_fen=60_000_000),
            update(datetime(2027, 4, 5, tzinfo=UTC), "b-03", project_code=second["project_code"], ledger_month="2027-03",
                   investment_month_fen=40_000_000),
        )

        async def graded_years():
            body = (await escalation_client.get(f"/internal/counties/{COUNTY}/escalations")).json()
            found = {e["evidence"]["annual_plan_fen"]: e["evidence"] for e in body["escalations"]
                     if e["rule_id"] == "R5.investment_progress" and e["evidence"]["scope"] == "ytd"}
            return found if len(found) == 2 else None

        by_plan = await eventually(graded_years)
        first, second_ytd = by_plan["24000000000"], by_plan["1200000000"]
        assert (first["graded_month"], first["plan_fen"]) == ("2027-03", "6000000000")
        assert (second_ytd["graded_month"], second_ytd["plan_fen"], second_ytd["done_fen"]) == ("2027-03", "300000000", "100000000")
