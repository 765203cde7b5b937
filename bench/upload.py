"""Spreadsheet upload benchmark (not a test): a 20,000-row 发改局 ledger XLSX through the real intake app on a real nats-server.

    .venv/bin/python -m bench.upload [--rows 20000] [--bad-every 50] [--tracemalloc]

Prints the file size, rows/s from the POST to the job's `done`, the stream's message count, and memory:
the growth of the process's max RSS and, with --tracemalloc, the peak of Python allocations during the
job (tracing slows the run about threefold, so rows/s is only meaningful without it).
"""
from __future__ import annotations

import argparse
import asyncio
import io
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

import httpx
import nats
from openpyxl import Workbook

from services.intake.app import authorized_county, create_app
from services.intake.settings import Settings
from services.intake.tokens import issue_token
from services.intake.uploads import build_uploads_router, start_upload_worker, stop_upload_worker
from services.launcher import NatsProcess
from shared import subjects
from shared.clock import SystemClock
from shared.subjects import UPDATES

COUNTY = "330106"
TOP = ["序号", "项目代码", "项目名称", "建设性质", "项目阶段", "总投资（万元）", "投资完成情况（万元）", None, None,
       "计划开工时间", "实际开工时间", "责任单位", "包抓领导"]
BOTTOM = [None] * 6 + ["年度计划投资", "本月完成投资", "累计完成投资"] + [None] * 4


def ledger(rows: int, bad_every: int) -> bytes:
    """Write-only workbook, so generating the file does not itself dominate the memory figures."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("台账")
    sheet.append(["某县2024年3月重点项目建设进度台账"])
    sheet.append(TOP)
    sheet.append(BOTTOM)
    for i in range(1, rows + 1):
        total = "待定" if bad_every and i % bad_every == 0 else 10000 + i / 100
        sheet.append([i, f"2403-{COUNTY}-04-01-{i:06d}", f"第{i}号项目", "新建" if i % 2 else "续建", "开工", total, 3000,
                      250.25, 1800, "2024年3月5日", "2024/3/18", "县工信局", "张副县长"])
    stream = io.BytesIO()
    book.save(stream)
    return stream.getvalue()


async def stream_count(url: str) -> int:
    nc = await nats.connect(url)
    try:
        info = await nc.jetstream().stream_info(UPDATES.name, subjects_filter=subjects.project_updated(COUNTY))
        return (info.state.subjects or {}).get(subjects.project_updated(COUNTY), 0)
    finally:
        await nc.close()


async def run(rows: int, bad_every: int, trace: bool) -> None:
    data = ledger(rows, bad_every)
    with tempfile.TemporaryDirectory() as tmp:
        server = NatsProcess(Path(tmp) / "nats")
        server.start()
        try:
            settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp}/intake.db", nats_url=server.url)
            app = create_app(settings, SystemClock())
            if not any(getattr(route, "path", "").endswith("/uploads") for route in app.routes):
                app.include_router(build_uploads_router(authorized_county))
            async with app.router.lifespan_context(app):
                await start_upload_worker(app, app.state.runtime, SystemClock())
                token = await issue_token(app.state.runtime.sessions, COUNTY, "bench")
                headers = {"Authorization": f"Bearer {token}"}
                async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake", timeout=60) as client:
                    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                    if trace:
                        tracemalloc.start()
                    started = time.perf_counter()
                    response = await client.post(f"/v1/counties/{COUNTY}/uploads", headers=headers,
                                                 files={"file": ("ledger.xlsx", data)}, data={"profile": "fgw_ledger"})
                    answered = time.perf_counter() - started
                    job_url = f"/v1/counties/{COUNTY}/uploads/{response.json()['job_id']}"
                    while (job := (await client.get(job_url, headers=headers)).json())["status"] not in ("done", "failed"):
                        await asyncio.sleep(0.1)
                    elapsed = time.perf_counter() - started
                    peak = tracemalloc.get_traced_memory()[1] if trace else 0
                    tracemalloc.stop()
                    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
                await stop_upload_worker(app)
            stored = await stream_count(server.url)
        finally:
            server.stop()
    print(f"file: {rows} rows, {len(data) / 1e6:.1f} MB XLSX; POST answered 202 in {answered * 1000:.0f} ms")
    print(f"job {job['status']}: {job['rows_total']} rows, {job['rows_accepted']} accepted, {job['rows_rejected']} rejected, "
          f"{stored} messages in JetStream")
    print(f"throughput: {job['rows_total'] / elapsed:,.0f} rows/s ({elapsed:.1f} s)")
    traced = f"tracemalloc peak {peak / 1e6:.1f} MB, " if trace else ""
    print(f"memory: {traced}max RSS growth {rss_growth / 1024:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--bad-every", type=int, default=50, help="every Nth row has an unreadable 总投资 (0: none)")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slow)")
    arguments = parser.parse_args()
    asyncio.run(run(arguments.rows, arguments.bad_every, arguments.tracemalloc))


if __name__ == "__main__":
    main()
