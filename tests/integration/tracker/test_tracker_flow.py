"""tracker on a real nats-server and a real database: merge, idempotency, outbox, reads."""
from __future__ import annotations

from datetime import UTC, datetime

import nats
import pytest

from services.tracker.app import build
from services.tracker.settings import Settings
from shared import subjects
from shared.contracts import ProjectStateChanged
from shared.messaging import ensure_streams, headers_for
from tests.support.factories import CODE, COUNTY, update, updated
from tests.support.services import eventually, running

pytestmark = pytest.mark.asyncio


async def publish(js, event) -> None:
    await js.publish(subjects.project_updated(event.county_code), event.model_dump_json().encode(), headers=headers_for(event))


async def changes_published(js, count: int) -> list[ProjectStateChanged]:
    sub = await js.pull_subscribe(subjects.project_changed(), durable=None, stream="PROJECTS")
    events = []
    try:
        while len(events) < count:
            for msg in await sub.fetch(count - len(events), timeout=10):
                events.append(ProjectStateChanged.model_validate_json(msg.data))
                await msg.ack()
    finally:
        await sub.unsubscribe()
    return events


async def test_updates_merge_by_field_and_redelivery_changes_nothing(nats_server, database, tmp_path) -> None:
    url, schema = database
    http = build(Settings(nats_url=nats_server.url, database_url=url, database_schema=schema))
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await ensure_streams(js)
    t1 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    t2 = datetime(2026, 2, 5, 8, 0, tzinfo=UTC)
    newer = updated(update(t2, "r-2", name="城西科创产业园", stage="started", local_id="XH-001"))
    older = updated(update(t1, "r-1", name="旧名称", stage="signed", total_investment_fen=150_000_000_000))
    async with running(http) as client:
        await publish(js, newer)
        await publish(js, older)  # arrives late: must not overwrite the newer name or stage
        await publish(js, newer)  # redelivered / re-posted: changes nothing

        async def merged():
            response = await client.get(f"/internal/counties/{COUNTY}/projects/{CODE}")
            body = response.json()
            return body if response.status_code == 200 and body["version"] == 2 else None

        body = await eventually(merged)
        assert body["facts"]["name"] == "城西科创产业园"
        assert body["facts"]["stage"] == "started"
        assert body["facts"]["total_investment_fen"] == 150_000_000_000  # the older record still adds what it knew
        by_local_id = (await client.get(f"/internal/counties/{COUNTY}/projects/XH-001")).json()
        assert by_local_id["project_id"] == body["project_id"]

        history = (await client.get(f"/internal/counties/{COUNTY}/projects/{CODE}/history")).json()
        assert [(s["from_stage"], s["to_stage"]) for s in history["stage_history"]] == [(None, "started")]
        assert {c["source_record_id"] for c in history["changes"]} == {"r-1", "r-2"}

    published = await changes_published(js, 2)
    assert [e.version for e in published] == [1, 2]
    assert published[-1].snapshot.name == "城西科创产业园"
    assert published[-1].snapshot.total_investment_fen == 150_000_000_000
    assert len({e.event_id for e in published}) == 2
    await nc.close()
