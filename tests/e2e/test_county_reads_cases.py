"""A county system reads its own cases and a project "as of" a day with its county token, through intake, read-only."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_end_to_end import CLOCK, COUNTY, idle_parcel, wait_for

from services.intake.tokens import issue_token
from services.launcher import ServiceProcesses as Pipeline
from shared.db import make_engine, session_factory

pytestmark = pytest.mark.e2e
OTHER = "330782"


@pytest.fixture
def pipeline(nats_server, tmp_path: Path) -> Iterator[Pipeline]:  # type: ignore[no-untyped-def]
    running = Pipeline(nats_server.url, tmp_path, None, "unused", {"ESCALATION_CLOCK": CLOCK, "ESCALATION_SWEEP_INTERVAL_SECONDS": "2"})
    running.start_all()
    yield running
    running.stop_all()


async def bearer(pipeline: Pipeline, county: str) -> dict[str, str]:
    engine = make_engine(*pipeline.database["intake"])
    try:
        return {"Authorization": f"Bearer {await issue_token(session_factory(engine), county, 'county system')}"}
    finally:
        await engine.dispose()


async def test_a_county_reads_its_own_cases_and_never_another_s(pipeline: Pipeline) -> None:
    mine, theirs = await bearer(pipeline, COUNTY), await bearer(pipeline, OTHER)
    code = idle_parcel(1)["project_code"]
    async with httpx.AsyncClient(base_url=pipeline.url("intake"), timeout=30) as client:
        assert (await client.post(f"/v1/counties/{COUNTY}/updates", json=[idle_parcel(1)], headers=mine)).status_code == 202
        client.headers.update(mine)
        [case] = await wait_for(client, f"/v1/counties/{COUNTY}/cases", "cases", 1)
        detail = (await client.get(f"/v1/counties/{COUNTY}/cases/{case['case_id']}")).json()
        as_of = (await client.get(f"/v1/counties/{COUNTY}/as-of/{code}", params={"date": "2026-03-02"})).json()
        anonymous = await client.get(f"/v1/counties/{COUNTY}/cases", headers={"Authorization": ""})
        client.headers.update(theirs)
        into_mine = await client.get(f"/v1/counties/{COUNTY}/cases")
        own_list = (await client.get(f"/v1/counties/{OTHER}/cases")).json()
        by_id = await client.get(f"/v1/counties/{OTHER}/cases/{case['case_id']}")
        project = await client.get(f"/v1/counties/{OTHER}/as-of/{code}")
        written = await client.post(f"/v1/counties/{COUNTY}/cases/{case['case_id']}/acknowledge", headers=mine)
    # Idle on the day it is raised: red, so the leader in charge, with the letter to the land bureau.
    assert (case["project_code"], case["rule_id"], case["target_name"]) == (code, "R1.idle_land", "陈立新")
    assert case["letter"]["handler_department"] == "自然资源局"
    assert [a["action"] for a in detail["actions"]] == ["opened"] and detail["level_name"]
    [idle] = [r for r in as_of["rules"] if r["rule_id"] == "R1.idle_land"]
    assert (as_of["facts"]["project_code"], idle["colour"]) == (code, "red")
    assert {a["name"] for a in idle["addressees"] if a["role"] == "action"} == {"自然资源局"}
    assert anonymous.status_code == 401 and into_mine.status_code == 403
    assert own_list["cases"] == [] and by_id.status_code == 404 and project.status_code == 404
    assert written.status_code in (404, 405)  # the front door reads; people act through escalation's API with their login
