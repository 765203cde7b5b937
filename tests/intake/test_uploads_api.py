"""Spreadsheet uploads end to end: a real nats-server, the database, the job worker, the error report and the CLI."""
from __future__ import annotations

import asyncio
import csv
import io
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from fastapi import FastAPI
from intake_support import NOW, bearer, fresh_county
from openpyxl import load_workbook
from sqlalchemy import select
from typer.testing import CliRunner

from services.intake import tokens
from services.intake.app import authorized_county, create_app
from services.intake.cli_uploads import app as uploads_cli
from services.intake.feeds.spreadsheet import store
from services.intake.feeds.spreadsheet.jobs import MAX_RUNS, queue_upload
from services.intake.feeds.spreadsheet.profiles import find_profile
from services.intake.settings import Settings
from services.intake.tables import quarantine
from services.intake.uploads import build_uploads_router, start_upload_worker, stop_upload_worker
from shared import subjects
from shared.clock import FixedClock
from shared.contracts import ProjectUpdated
from shared.db import make_engine, session_factory
from shared.subjects import UPDATES

sys.path.insert(0, str(Path(__file__).parent / "feeds"))
from ledgers import PAY_HEADER, csv_bytes, fgw_row, fgw_xlsx, pay_row, project_code  # noqa: E402

runner = CliRunner()


@asynccontextmanager
async def uploading(settings: Settings) -> AsyncIterator[tuple[httpx.AsyncClient, FastAPI]]:
    """intake with the uploads router and worker (wired here until app.py mounts them itself)."""
    clock = FixedClock(NOW)
    app = create_app(settings, clock)
    if not any(getattr(route, "path", "").endswith("/uploads") for route in app.routes):
        app.include_router(build_uploads_router(authorized_county))
    async with app.router.lifespan_context(app):
        await start_upload_worker(app, app.state.runtime, clock)
        try:
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake") as client:
                yield client, app
        finally:
            await stop_upload_worker(app)


async def stored(nats_url: str, county: str) -> list[ProjectUpdated]:
    subject = subjects.project_updated(county)
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(UPDATES.name, subjects_filter=subject)
        count = (info.state.subjects or {}).get(subject, 0)
        if not count:
            return []
        messages = await (await js.pull_subscribe(subject, stream=UPDATES.name)).fetch(count, timeout=2)
        return [ProjectUpdated.model_validate_json(message.data) for message in messages]
    finally:
        await nc.close()


async def upload(client: httpx.AsyncClient, county: str, token: str, data: bytes, profile: str = "fgw_ledger",
                 name: str = "台账.xlsx", **form: str) -> dict[str, Any]:
    response = await client.post(f"/v1/counties/{county}/uploads", headers=bearer(token),
                                 files={"file": (name, data)}, data={"profile": profile, **form})
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    for _ in range(200):
        job = (await client.get(f"/v1/counties/{county}/uploads/{job_id}", headers=bearer(token))).json()
        if job["status"] in ("done", "failed"):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def good(i: int) -> list[Any]:
    return fgw_row(i, c1=project_code(i))


async def test_upload_publishes_valid_rows_and_reports_the_bad_ones(settings: Settings) -> None:
    county = fresh_county()
    rows = [good(1), good(2), fgw_row(3, c5="一万二"), good(4), fgw_row(5, c1="2403-33", c10="2024-02-30")]
    async with uploading(settings) as (client, app):
        token = await tokens.issue_token(app.state.runtime.sessions, county, "test")
        job = await upload(client, county, token, fgw_xlsx(rows))
        assert (job["status"], job["rows_total"], job["rows_accepted"], job["rows_rejected"]) == ("done", 5, 3, 2), job
        report = await client.get(f"/v1/counties/{county}/uploads/{job['job_id']}/errors.csv", headers=bearer(token))
        sheet = await client.get(f"/v1/counties/{county}/uploads/{job['job_id']}/errors.xlsx", headers=bearer(token))
        listing = (await client.get(f"/v1/counties/{county}/uploads", headers=bearer(token))).json()
        other = await client.get(f"/v1/counties/{county}/uploads", headers=bearer(await tokens.issue_token(app.state.runtime.sessions, "110101", "x")))
    events = await stored(settings.nats_url, county)
    assert sorted(e.update.project_code or "" for e in events) == [project_code(i) for i in (1, 2, 4)]
    assert all(e.update.source_record_time.isoformat() == "2024-03-31T10:00:00+00:00" for e in events)
    lines = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert report.status_code == 200 and {tuple(line[:3]) for line in lines[1:]} == {
        ("7", "总投资(万元)", "一万二"), ("9", "实际开工时间", "2024-02-30")}
    assert all(line[3] and line[4] for line in lines[1:])
    book_rows = list(load_workbook(io.BytesIO(sheet.content)).active.iter_rows(values_only=True))
    assert sorted(row[0] for row in book_rows[1:]) == [7, 9]
    assert [j["job_id"] for j in listing] == [job["job_id"]] and other.status_code == 403


async def test_the_same_or_an_overlapping_file_adds_no_jetstream_message(settings: Settings) -> None:
    county = fresh_county()
    async with uploading(settings) as (client, app):
        token = await tokens.issue_token(app.state.runtime.sessions, county, "test")
        data = fgw_xlsx([good(i) for i in range(1, 6)])
        first = await upload(client, county, token, data)
        ids = sorted(str(e.event_id) for e in await stored(settings.nats_url, county))
        again = await upload(client, county, token, data)
        resaved = await upload(client, county, token, fgw_xlsx([good(i) for i in range(1, 6)]), name="另存.xlsx")
        assert len(await stored(settings.nats_url, county)) == 5 and resaved["rows_accepted"] == 5
        overlap = await upload(client, county, token, fgw_xlsx([good(i) for i in range(3, 8)], title="某县2024年3月重点项目台账（更新）"))
    assert again["job_id"] == first["job_id"] and len(ids) == 5
    assert overlap["job_id"] != first["job_id"] and overlap["rows_accepted"] == 5
    events = await stored(settings.nats_url, county)
    assert len(events) == 7 and set(ids) <= {str(e.event_id) for e in events}


async def test_malformed_files_fail_the_job_with_a_report(settings: Settings) -> None:
    county = fresh_county()
    async with uploading(settings) as (client, app):
        token = await tokens.issue_token(app.state.runtime.sessions, county, "test")
        broken = await upload(client, county, token, b"PK\x03\x04 not really", name="x.xlsx")
        no_header = await upload(client, county, token, b"a,b\n1,2\n", name="x.csv")
        report = await client.get(f"/v1/counties/{county}/uploads/{no_header['job_id']}/errors.csv", headers=bearer(token))
        unknown = await client.post(f"/v1/counties/{county}/uploads", headers=bearer(token), files={"file": ("x", b"a")}, data={"profile": "nope"})
    assert broken["status"] == "failed" and "XLSX" in broken["error"]
    assert no_header["status"] == "failed" and "项目代码" in report.content.decode("utf-8-sig")
    assert unknown.status_code == 422


async def test_a_profile_name_is_never_a_path(settings: Settings) -> None:
    """The profile is chosen among config/profiles' files: a name too long for the file system (the fuzz test's find:
    a 500) or one that climbs out of the directory is an unknown profile, 422."""
    county = fresh_county()
    async with uploading(settings) as (client, app):
        token = await tokens.issue_token(app.state.runtime.sessions, county, "test")
        answers = [await client.post(f"/v1/counties/{county}/uploads", headers=bearer(token), files={"file": ("x.csv", b"a")},
                                     data={"profile": name})
                   for name in ("长" * 300, "x" * 300, "../profiles/fgw_ledger", ".fgw_ledger", "fgw_ledger\x00")]
    assert [answer.status_code for answer in answers] == [422] * 5
    assert all("no profile" in answer.json()["detail"] and "fgw_ledger" in answer.json()["detail"] for answer in answers)


async def test_a_job_cut_by_a_restart_is_rerun_at_startup(settings: Settings) -> None:
    county = fresh_county()
    async with uploading(settings) as (client, app):
        sessions = app.state.runtime.sessions
        token = await tokens.issue_token(sessions, county, "test")
    engine = make_engine(settings.database_url, settings.database_schema)
    job, _ = await queue_upload(session_factory(engine), county, "cut.xlsx", fgw_xlsx([good(1), good(2)]), find_profile("fgw_ledger"), None, NOW)
    await store.begin_run(session_factory(engine), job, 1)  # "running" when the process died
    await engine.dispose()
    async with uploading(settings) as (client, app):
        for _ in range(200):
            status = (await client.get(f"/v1/counties/{county}/uploads/{job.job_id}", headers=bearer(token))).json()
            if status["status"] == "done":
                break
            await asyncio.sleep(0.05)
    assert status["rows_accepted"] == 2 and len(await stored(settings.nats_url, county)) == 2


async def test_a_job_cut_off_again_and_again_is_failed_with_the_reason_not_rerun_forever(settings: Settings) -> None:
    county = fresh_county()
    async with uploading(settings) as (client, app):
        token = await tokens.issue_token(app.state.runtime.sessions, county, "test")
    engine = make_engine(settings.database_url, settings.database_schema)
    sessions = session_factory(engine)
    job, _ = await queue_upload(sessions, county, "kills.xlsx", fgw_xlsx([good(1)]), find_profile("fgw_ledger"), None, NOW)
    for _ in range(MAX_RUNS):  # each run died with its process (e.g. killed for memory)
        await store.begin_run(sessions, await store.get_job(sessions, county, job.job_id), 1)
    await engine.dispose()
    async with uploading(settings) as (client, app):
        for _ in range(200):
            status = (await client.get(f"/v1/counties/{county}/uploads/{job.job_id}", headers=bearer(token))).json()
            if status["status"] != "running":
                break
            await asyncio.sleep(0.05)
    assert status["status"] == "failed" and f"cut off {MAX_RUNS} times" in status["error"] and "不再重试" in status["error"]
    assert await stored(settings.nats_url, county) == []


async def test_a_corrected_file_resubmitted_from_the_cli_flows_through(settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    county = fresh_county()
    monkeypatch.setenv("INTAKE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("INTAKE_NATS_URL", settings.nats_url)
    if settings.database_schema:
        monkeypatch.setenv("INTAKE_DATABASE_SCHEMA", settings.database_schema)
    async with uploading(settings) as (client, app):
        token = await tokens.issue_token(app.state.runtime.sessions, county, "test")
        first = await upload(client, county, token, fgw_xlsx([good(1), fgw_row(2, c5="abc"), fgw_row(3, c10="2024-13-01")]))
    assert first["rows_rejected"] == 2
    corrected = tmp_path / "台账-改.xlsx"
    corrected.write_bytes(fgw_xlsx([good(2), good(3)]))
    resubmitted = await asyncio.to_thread(runner.invoke, uploads_cli, ["resubmit", county, str(corrected), "--profile", "fgw_ledger"])
    assert resubmitted.exit_code == 0, resubmitted.output
    assert "2 earlier rejected rows now resubmitted" in resubmitted.stdout
    listed = await asyncio.to_thread(runner.invoke, uploads_cli, ["list", county])
    assert first["job_id"] in listed.stdout and "accepted 2 rejected 0" in listed.stdout
    out = tmp_path / "errors.xlsx"
    errors = await asyncio.to_thread(runner.invoke, uploads_cli, ["errors", first["job_id"], "--out", str(out)])
    assert errors.exit_code == 0 and out.stat().st_size > 0
    printed = await asyncio.to_thread(runner.invoke, uploads_cli, ["errors", first["job_id"]])
    assert "abc" in printed.stdout
    assert len(await stored(settings.nats_url, county)) == 3
    engine = make_engine(settings.database_url, settings.database_schema)
    async with session_factory(engine)() as session:
        marks = (await session.execute(select(quarantine.c.resubmitted_at).where(quarantine.c.job_id == first["job_id"]))).scalars().all()
    await engine.dispose()
    assert len(marks) == 2 and all(marks)


async def test_rows_after_a_long_run_of_blank_rows_are_still_read(settings: Settings) -> None:
    county = fresh_county()
    async with uploading(settings) as (client, app):
        token = await tokens.issue_token(app.state.runtime.sessions, county, "test")
        job = await upload(client, county, token, fgw_xlsx([good(1)] + [[None] * 5] * 1200 + [good(2)]))
    assert (job["status"], job["rows_accepted"]) == ("done", 2)
    assert len(await stored(settings.nats_url, county)) == 2


async def test_the_job_says_what_it_did_with_every_column_and_warns_of_a_column_it_could_never_read(settings: Settings) -> None:
    county = fresh_county()
    header = [*PAY_HEADER, "1-11月完成投资（万元）"]  # a column the profile does not know: ignored, and said so
    rows = [[*pay_row(i, c0=project_code(i, county), c6="约五十万"), "12"] for i in (1, 2)]  # 累计支付 never a number
    async with uploading(settings) as (client, app):
        token = await tokens.issue_token(app.state.runtime.sessions, county, "test")
        job = await upload(client, county, token, csv_bytes(rows, header=header), profile="cz_payments", name="支付台账.csv")
    columns = {column["column"]: column for column in job["columns"]}
    assert columns["1-11月完成投资(万元)"]["status"] == "ignored" and "not imported" in columns["1-11月完成投资(万元)"]["why"]
    paid = next(column for column in job["columns"] if column["column"].startswith("累计支付"))
    assert (paid["status"], paid["cells_read"], paid["cells_refused"]) == ("mapped", 0, 2)
    assert columns["项目代码"]["cells_read"] == 2
    assert [warning["column"] for warning in job["warnings"]] == [paid["column"]] and "均无法读取" in job["warnings"][0]["message"]
