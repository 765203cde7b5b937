"""Hostile and broken input on the real intake process: bounded memory, a clear 4xx or job error, never a crash.

Peak memory is the process's own high-water mark (VmHWM in /proc/<pid>/status), read before and after.
"""
from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.intake.tokens import issue_token
from services.launcher import ServiceProcesses
from shared.db import make_engine, session_factory

sys.path.insert(0, str(Path(__file__).parent / "feeds"))
from hostile import broken_sheet_xml, far_down_row_xlsx, huge_cell_xlsx, truncated_xlsx, zip_bomb  # noqa: E402

COUNTY = "330106"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_BODY = 1024 * 1024  # INTAKE_MAX_BODY_BYTES for this process


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmHWM:")).split()[1]) / 1024


@pytest.fixture
def intake(nats_server, tmp_path: Path) -> Iterator[ServiceProcesses]:  # type: ignore[no-untyped-def]
    running = ServiceProcesses(nats_server.url, tmp_path, extra_env={"INTAKE_MAX_BODY_BYTES": str(MAX_BODY)})
    running.start("intake")
    yield running
    running.stop_all()


async def token_for(intake: ServiceProcesses) -> dict[str, str]:
    engine = make_engine(intake.database["intake"][0])
    try:
        return {"Authorization": f"Bearer {await issue_token(session_factory(engine), COUNTY, 'hostile')}"}
    finally:
        await engine.dispose()


async def upload_and_wait(client: httpx.AsyncClient, auth: dict[str, str], name: str, content: bytes) -> dict:
    queued = await client.post(f"/v1/counties/{COUNTY}/uploads", files={"file": (name, content, XLSX)},
                               data={"profile": "fgw_ledger"}, headers=auth)
    assert queued.status_code == 202, queued.text
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        job = (await client.get(f"/v1/counties/{COUNTY}/uploads/{queued.json()['job_id']}", headers=auth)).json()
        if job["status"] in ("done", "failed"):
            return job
        await asyncio.sleep(0.1)
    raise AssertionError(f"{name} did not finish: {job}")


async def test_hostile_files_fail_their_job_with_a_reason_in_bounded_memory(intake: ServiceProcesses) -> None:
    auth = await token_for(intake)
    pid = intake.processes["intake"].pid
    files = {
        "zip bomb (1 GiB inflated)": (zip_bomb(), "inflates too far"),
        "truncated zip": (truncated_xlsx(), "damaged"),
        "broken sheet XML": (broken_sheet_xml(), "damaged"),
        "huge cell": (huge_cell_xlsx(), "more than 32767 characters"),
        "a million empty rows": (far_down_row_xlsx(), "more than 250000 rows"),
    }
    async with httpx.AsyncClient(base_url=intake.url("intake"), timeout=30) as client:
        await upload_and_wait(client, auth, "warm-up.xlsx", truncated_xlsx()[:100])  # the upload path's own imports
        before = peak_rss_mb(pid)
        for name, (content, reason) in files.items():
            started = time.monotonic()
            job = await upload_and_wait(client, auth, f"{name}.xlsx", content)
            assert job["status"] == "failed" and reason in job["error"], (name, job)
            assert "internal error" not in job["error"] and time.monotonic() - started < 30, name
        health = await client.get("/healthz")
    peak = peak_rss_mb(pid)
    print(f"\nintake peak RSS: {before:.0f} MB before the hostile files, {peak:.0f} MB after")
    assert health.status_code == 200
    assert peak - before < 150, f"peak RSS grew from {before:.0f} MB to {peak:.0f} MB"


async def announce_upload(intake: ServiceProcesses, auth: dict[str, str], size: int) -> bytes:
    """Only the head of an upload announcing `size` bytes: the answer comes before any of the body is sent."""
    port = int(intake.url("intake").rsplit(":", 1)[1])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (f"POST /v1/counties/{COUNTY}/uploads HTTP/1.1\r\nHost: intake\r\nAuthorization: {auth['Authorization']}\r\n"
            f"Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {size}\r\n\r\n")
    writer.write(head.encode())
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), timeout=10)  # to the end: the server closes after its answer
    writer.close()
    return answer


async def test_deep_and_huge_json_are_refused_with_4xx(intake: ServiceProcesses) -> None:
    auth = await token_for(intake)
    url = f"/v1/counties/{COUNTY}/updates"
    async with httpx.AsyncClient(base_url=intake.url("intake"), timeout=30) as client:
        deep = await client.post(url, content=b"[" * 10_000 + b"]" * 10_000, headers={**auth, "Content-Type": "application/json"})
        huge = await client.post(url, content=b"[" + b'"x",' * MAX_BODY + b'"x"]', headers={**auth, "Content-Type": "application/json"})

        async def chunked() -> object:  # no Content-Length: cut off as it streams in
            for _ in range(64):
                yield b" " * 65536

        streamed = await client.post(url, content=chunked(), headers={**auth, "Content-Type": "application/json"})
        upload = await announce_upload(intake, auth, 200 * 1024 * 1024)
        still_fine = await client.post(url, json=[{"source_system": "ledger", "stage": "started"}], headers=auth)
    assert deep.status_code == 422 and "nests deeper" in deep.json()["detail"]
    assert huge.status_code == 413 and "1.0 MB" in huge.json()["detail"]
    assert streamed.status_code == 413
    assert upload.startswith(b"HTTP/1.1 413") and b"uploaded file" in upload
    assert still_fine.status_code == 422 and still_fine.json()["rejected"] == 1
    metrics = httpx.get(f"{intake.url('intake')}/metrics").text
    assert 'intake_http_requests_total{method="POST",route="/v1/counties/{county_code}/updates",status="413"} 2.0' in metrics
