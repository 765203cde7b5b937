"""A corrected record (same source record and time, other content) lands in tracker and is shown as a correction."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import nats
import pytest

from services.intake.domain import Origin, build_event
from services.tracker.app import build
from services.tracker.settings import Settings
from shared import subjects
from shared.messaging import ensure_streams, headers_for
from tests.support.factories import CODE, COUNTY, update
from tests.support.services import eventually, running

pytestmark = pytest.mark.asyncio
RECORD_TIME = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # the November ledger
RECEIVED = datetime(2026, 12, 3, 1, 0, tzinfo=UTC)


async def publish(js, event) -> None:
    await js.publish(subjects.project_updated(event.county_code), event.model_dump_json().encode(), headers=headers_for(event))


async def test_a_correction_lands_is_named_in_the_history_and_repeats_change_nothing(nats_server, database) -> None:
    url, schema = database
    http = build(Settings(nats_url=nats_server.url, database_url=url, database_schema=schema))
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await ensure_streams(js)
    first = build_event(COUNTY, update(RECORD_TIME, "XH-001|2026-11", name="城西科创园（三期）", total_investment_fen=100_000_000),
                        RECEIVED, Origin("upload job-1 (台账11月.xlsx)", "发改局项目库 (tj_330106_abc…)"))
    fixed = build_event(COUNTY, update(RECORD_TIME, "XH-001|2026-11", name="城西科创园（三期）", total_investment_fen=120_000_000),
                        RECEIVED + timedelta(hours=2), Origin("upload job-2 (台账11月-更正.xlsx)", "发改局项目库 (tj_330106_abc…)"))
    assert first.event_id != fixed.event_id
    async with running(http) as client:
        await publish(js, first)
        await publish(js, fixed)

        async def corrected():
            body = (await client.get(f"/internal/counties/{COUNTY}/projects/{CODE}")).json()
            return body if body.get("version") == 2 else None

        body = await eventually(corrected)
        assert body["facts"]["total_investment_fen"] == 120_000_000

        # The same contents sent again (a re-upload of either file, a redelivery) are no-ops, in any order.
        again = build_event(COUNTY, first.update, RECEIVED + timedelta(days=1))
        assert again.event_id == first.event_id
        for event in (again, fixed, first):
            await nc.publish(subjects.project_updated(COUNTY), event.model_dump_json().encode())  # past JetStream's dedup
        await publish(js, update_marker := build_event(COUNTY, update(RECORD_TIME + timedelta(days=1), "other", leader="陈立新"), RECEIVED))

        async def marker_applied():
            body = (await client.get(f"/internal/counties/{COUNTY}/projects/{CODE}")).json()
            return body if body["facts"].get("leader") == "陈立新" else None

        body = await eventually(marker_applied)  # applied after the repeats: they are behind it
        assert body["version"] == 3 and body["facts"]["total_investment_fen"] == 120_000_000

        history = (await client.get(f"/internal/counties/{COUNTY}/projects/{CODE}/history")).json()["changes"]
        correction = next(change for change in history if change["event_id"] == str(fixed.event_id))
        assert correction["kind"] == "correction" and correction["corrects"] == [str(first.event_id)]
        assert correction["changes"] == [{"path": "total_investment_fen", "old": 100_000_000, "new": 120_000_000, "corrects": str(first.event_id)}]
        assert (correction["received_via"], correction["submitted_by"]) == ("upload job-2 (台账11月-更正.xlsx)", "发改局项目库 (tj_330106_abc…)")
        assert [c["kind"] for c in history] == ["update", "correction", "update"]  # newest first
        assert str(update_marker.event_id) == history[0]["event_id"]
    await nc.close()
