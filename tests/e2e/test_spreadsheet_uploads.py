"""End to end with real processes: two counties upload land supply lists, escalations follow, a fixed row flows through."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.intake.tokens import issue_token
from services.launcher import ServiceProcesses
from shared.db import make_engine, session_factory
from tests.intake.feeds.ledgers import LAND_HEADER, land_xlsx

pytestmark = pytest.mark.e2e
# Beijing 2026-03-02: land agreed to start on 2025-03-01 and never started is idle from today.
CLOCK = "fixed:2026-03-02T09:00:00+08:00"
COUNTIES = ("330106", "330782")


def parcel_row(county: str, n: int, agreed: str = "2025年3月1日") -> list:
    """One row of a 自然资源局 land supply list, laid out as LAND_HEADER."""
    assert LAND_HEADER[8] == "约定动工时间"
    return [n, f"{county}2025B{n:05d}", f"2501-{county}-04-01-{n:06d}", f"{county}产业园{n}号地块项目", "某某科技有限公司", "出让",
            "15", 1234.56, agreed, "2025年1月10日", None, "2026-02-28"]


@pytest.fixture
def pipeline(nats_server, tmp_path: Path) -> Iterator[ServiceProcesses]:
    running = ServiceProcesses(nats_server.url, tmp_path, extra_env={"ESCALATION_CLOCK": CLOCK, "ESCALATION_SWEEP_INTERVAL_SECONDS": "2"})
    running.start_all()
    yield running
    running.stop_all()


async def tokens_for(pipeline: ServiceProcesses) -> dict[str, str]:
    engine = make_engine(pipeline.database["intake"][0])
    try:
        return {county: await issue_token(session_factory(engine), county, "e2e") for county in COUNTIES}
    finally:
        await engine.dispose()


async def upload_and_wait(client: httpx.AsyncClient, county: str, token: str, content: bytes, filename: str = "土地供应清单.xlsx") -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    files = {"file": (filename, content, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
    queued = await client.post(f"/v1/counties/{county}/uploads", files=files, data={"profile": "zrzy_land_supply"}, headers=headers)
    assert queued.status_code == 202, queued.text
    for _ in range(300):
        job = (await client.get(f"/v1/counties/{county}/uploads/{queued.json()['job_id']}", headers=headers)).json()
        if job["status"] in ("done", "failed"):
            return job
        await asyncio.sleep(0.1)
    raise AssertionError(f"upload of {county} did not finish: {job}")


async def wait_for(client: httpx.AsyncClient, token: str, path: str, key: str, count: int, timeout: float = 60) -> list[dict]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        rows = (await client.get(path, params={"limit": 1000}, headers={"Authorization": f"Bearer {token}"})).json()[key]
        if len(rows) >= count or asyncio.get_running_loop().time() > deadline:
            return rows
        await asyncio.sleep(0.2)


async def test_uploads_become_state_and_escalations_and_a_fixed_row_flows_through(pipeline: ServiceProcesses, tmp_path: Path) -> None:
    tokens = await tokens_for(pipeline)
    a, b = COUNTIES
    async with httpx.AsyncClient(base_url=pipeline.url("intake"), timeout=30) as client:
        broken = parcel_row(a, 3, agreed="2025年13月1日")  # no 13th month: the clerk's typo
        job_a = await upload_and_wait(client, a, tokens[a], land_xlsx([parcel_row(a, 1), parcel_row(a, 2), broken]))
        job_b = await upload_and_wait(client, b, tokens[b], land_xlsx([parcel_row(b, 1), parcel_row(b, 2)]))
        assert (job_a["status"], job_a["rows_accepted"], job_a["rows_rejected"]) == ("done", 2, 1)
        assert (job_b["status"], job_b["rows_accepted"], job_b["rows_rejected"]) == ("done", 2, 0)

        report = (await client.get(f"/v1/counties/{a}/uploads/{job_a['job_id']}/errors.csv", headers={"Authorization": f"Bearer {tokens[a]}"})).text
        assert "约定动工时间" in report and "2025年13月1日" in report

        for county in COUNTIES:
            projects = await wait_for(client, tokens[county], f"/v1/counties/{county}/projects", "projects", 2)
            assert len(projects) == 2
            escalations = await wait_for(client, tokens[county], f"/v1/counties/{county}/escalations", "escalations", 2)
            assert sorted(e["level_name"] for e in escalations) == ["闲置土地(征收闲置费)"] * 2
            assert {e["project_code"] for e in escalations} == {f"2501-{county}-04-01-{n:06d}" for n in (1, 2)}

        # The county fixes the date and re-submits the file from the command line.
        fixed = tmp_path / "土地供应清单（更正）.xlsx"
        fixed.write_bytes(land_xlsx([parcel_row(a, 1), parcel_row(a, 2), parcel_row(a, 3)]))
        url, _ = pipeline.database["intake"]
        env = {**os.environ, "INTAKE_DATABASE_URL": url, "INTAKE_NATS_URL": pipeline.nats_url}
        result = subprocess.run([sys.executable, "-m", "services.cli", "intake", "uploads", "resubmit", a, str(fixed),
                                 "--profile", "zrzy_land_supply"], env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr

        escalations = await wait_for(client, tokens[a], f"/v1/counties/{a}/escalations", "escalations", 3, timeout=90)
        assert {e["project_code"] for e in escalations} == {f"2501-{a}-04-01-{n:06d}" for n in (1, 2, 3)}, result.stdout + result.stderr
        projects = await wait_for(client, tokens[a], f"/v1/counties/{a}/projects", "projects", 3)
        assert len(projects) == 3 and {p["version"] for p in projects} == {1}  # the re-sent good rows changed nothing


async def test_a_corrected_upload_lands_shows_as_a_correction_and_clears_the_escalation(pipeline: ServiceProcesses) -> None:
    tokens = await tokens_for(pipeline)
    county = COUNTIES[0]
    auth = {"Authorization": f"Bearer {tokens[county]}"}
    code = f"2501-{county}-04-01-{1:06d}"
    async with httpx.AsyncClient(base_url=pipeline.url("intake"), timeout=30) as client:
        first = await upload_and_wait(client, county, tokens[county], land_xlsx([parcel_row(county, 1), parcel_row(county, 2)]))
        assert first["rows_accepted"] == 2
        raised = await wait_for(client, tokens[county], f"/v1/counties/{county}/escalations", "escalations", 2)
        assert code in {e["project_code"] for e in raised}

        # The clerk typed the agreed start date wrong; the same list (same 更新日期) comes back corrected.
        fixed = land_xlsx([parcel_row(county, 1, agreed="2025年12月1日"), parcel_row(county, 2)])
        second = await upload_and_wait(client, county, tokens[county], fixed, "土地供应清单（更正）.xlsx")
        assert (second["status"], second["rows_accepted"]) == ("done", 2)

        async def project() -> dict:
            return (await client.get(f"/v1/counties/{county}/projects/{code}", headers=auth)).json()

        deadline = asyncio.get_running_loop().time() + 60
        while (await project())["facts"]["land_parcels"][0]["agreed_start_date"] != "2025-12-01":
            assert asyncio.get_running_loop().time() < deadline, await project()
            await asyncio.sleep(0.2)
        assert (await project())["version"] == 2  # the unchanged row 2 and the repeated row 1 changed nothing else
        history = (await client.get(f"/v1/counties/{county}/projects/{code}/history", headers=auth)).json()["changes"]
        correction = history[0]
        assert correction["kind"] == "correction" and len(correction["corrects"]) == 1
        assert correction["changes"] == [{"path": f"land_parcels.{county}2025B00001.agreed_start_date", "old": "2025-03-01",
                                          "new": "2025-12-01", "corrects": correction["corrects"][0]}]
        assert correction["received_via"] == f"upload {second['job_id']} (土地供应清单（更正）.xlsx)"
        assert correction["submitted_by"].startswith("e2e (tj_")

        # Re-evaluated: three months past the corrected date is no idle land; the other project stays escalated.
        deadline = asyncio.get_running_loop().time() + 60
        while True:
            open_now = await wait_for(client, tokens[county], f"/v1/counties/{county}/escalations", "escalations", 0)
            if {e["project_code"] for e in open_now} == {f"2501-{county}-04-01-{2:06d}"}:
                break
            assert asyncio.get_running_loop().time() < deadline, open_now
            await asyncio.sleep(0.5)

        # Both contents again in another file (a new job), and a new project after them: nothing changes but that one.
        again = land_xlsx([parcel_row(county, 1), parcel_row(county, 1, agreed="2025年12月1日"), parcel_row(county, 3)])
        third = await upload_and_wait(client, county, tokens[county], again, "土地供应清单（再次）.xlsx")
        assert third["rows_accepted"] == 2 and third["rows_rejected"] == 1  # one list giving a record twice is ambiguous
        await wait_for(client, tokens[county], f"/v1/counties/{county}/projects", "projects", 3)
        assert (await project())["version"] == 2 and (await project())["facts"]["land_parcels"][0]["agreed_start_date"] == "2025-12-01"
