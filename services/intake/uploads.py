"""Spreadsheet ledger uploads over HTTP: the file is kept, a job resource answers at once, a background worker does the rows."""
# No `from __future__ import annotations`: FastAPI must resolve the route annotations built inside build_uploads_router.

import asyncio
import logging
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from services.intake.feeds.spreadsheet import report, store
from services.intake.feeds.spreadsheet.jobs import JobContext, parse_as_of, queue_upload, run_job
from services.intake.feeds.spreadsheet.profiles import ProfileError, find_profile
from shared.clock import Clock

log = logging.getLogger(__name__)
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # a 20,000-row ledger is ~2 MB as XLSX, ~4 MB as CSV
PARALLEL_JOBS = 2  # parsing runs in threads; more would only slow every upload down
READ_PIECE = 1024 * 1024


class Queued(BaseModel):
    job_id: str
    status: str = Field(description="queued | running | done | failed")


class JobOut(BaseModel):
    job_id: str
    profile: str
    profile_version: int
    filename: str
    file_sha256: str
    status: str = Field(description="queued | running | done | failed")
    rows_total: int = Field(description="data rows read so far (blank and 合计 rows are not records)")
    rows_accepted: int
    rows_rejected: int
    error: str | None = Field(description="why the whole file was refused (English / 中文); the rows are in the report")
    columns: list[dict[str, Any]] = Field(default=[], description="each column of the file: mapped to which field "
                                          "(with cells read and refused), or ignored and why")
    warnings: list[dict[str, Any]] = Field(default=[], description="mapped columns none of whose cells could be read")
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, job: store.Job) -> "JobOut":
        failure = job.failure()
        error = f"{failure['reason_en']} / {failure['reason_zh']}" if failure else None
        notes = job.notes()
        return cls(**{**{k: v for k, v in vars(job).items() if k in cls.model_fields}, "error": error,
                      "columns": notes.get("columns", []), "warnings": notes.get("warnings", [])})


class UploadWorker:
    """Jobs run as asyncio tasks of the intake process, a few at a time; unfinished ones are resumed at startup."""

    def __init__(self, context: JobContext) -> None:
        self.context = context
        self._slots = asyncio.Semaphore(PARALLEL_JOBS)
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def submit(self, job_id: str) -> None:
        if job_id not in self._tasks:
            self._tasks[job_id] = asyncio.create_task(self._run(job_id), name=f"upload-{job_id}")

    async def _run(self, job_id: str) -> None:
        try:
            async with self._slots:
                await run_job(self.context, job_id)
        except Exception:
            log.exception("upload job %s crashed", job_id)
        finally:
            self._tasks.pop(job_id, None)

    async def resume(self) -> None:
        for job_id in await store.unfinished(self.context.sessions):
            self.submit(job_id)

    async def stop(self) -> None:
        """A job cut here stays `running` and is rerun from its stored file at the next start."""
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def start_upload_worker(app: FastAPI, runtime: Any, clock: Clock) -> None:
    if getattr(app.state, "uploads", None) is None:
        app.state.uploads = UploadWorker(JobContext(runtime.sessions, runtime.publisher, clock.now))
        await app.state.uploads.resume()


async def stop_upload_worker(app: FastAPI) -> None:
    worker: UploadWorker | None = getattr(app.state, "uploads", None)
    if worker is not None:
        await worker.stop()
        app.state.uploads = None


def _worker(request: Request) -> UploadWorker:
    return request.app.state.uploads  # type: ignore[no-any-return]


async def _read(upload: UploadFile) -> bytes:
    pieces, size = [], 0
    while piece := await upload.read(READ_PIECE):
        size += len(piece)
        if size > MAX_UPLOAD_BYTES:
            raise HTTPException(413, f"a file holds at most {MAX_UPLOAD_BYTES // 1024 // 1024} MB")
        pieces.append(piece)
    return b"".join(pieces)


def build_uploads_router(authorized_county: Callable[..., Awaitable[str]]) -> APIRouter:
    """Mounted by intake's app; `authorized_county` is its bearer-token dependency (passed in: no import cycle)."""
    router = APIRouter(prefix="/v1/counties/{county_code}/uploads", tags=["uploads"])
    County = Annotated[str, Depends(authorized_county)]

    async def job_of(county_code: County, job_id: str, request: Request) -> store.Job:
        job = await store.get_job(_worker(request).context.sessions, county_code, job_id)
        if job is None:
            raise HTTPException(404, f"no upload {job_id} for county {county_code}")
        return job

    JobDep = Annotated[store.Job, Depends(job_of)]

    @router.post("", status_code=202, response_model=Queued, summary="Upload a ledger file / 上传台账文件",
                 description="A CSV or XLSX ledger and the name of its mapping profile (config/profiles). The file is kept "
                 "(content-addressed) and processed in the background; poll the job. The same file again is the same job.")
    async def post_upload(county_code: County, request: Request, file: Annotated[UploadFile, File()],
                          profile: Annotated[str, Form(description="e.g. fgw_ledger, county_progress, project_problems, zrzy_land_supply, cz_payments")],
                          as_of: Annotated[str | None, Form(description="the ledger's date when no column gives it")] = None) -> Queued:
        worker = _worker(request)
        try:
            chosen = find_profile(profile)
            moment = parse_as_of(as_of) if as_of else None
        except (LookupError, ProfileError, ValueError) as error:
            raise HTTPException(422, str(error)) from error
        content = await _read(file)
        job, must_run = await queue_upload(worker.context.sessions, county_code, file.filename or "upload", content, chosen,
                                           moment, worker.context.now(), request.state.caller.name)
        if must_run:
            worker.submit(job.job_id)
        return Queued(job_id=job.job_id, status=job.status)

    @router.get("", response_model=list[JobOut], summary="Recent uploads / 最近上传")
    async def get_uploads(county_code: County, request: Request, limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[JobOut]:
        return [JobOut.of(job) for job in await store.recent_jobs(_worker(request).context.sessions, county_code, limit)]

    @router.get("/{job_id}", response_model=JobOut, summary="An upload's progress / 上传进度")
    async def get_upload(job: JobDep) -> JobOut:
        return JobOut.of(job)

    @router.get("/{job_id}/errors.csv", summary="Row-level error report, CSV / 错误报告", response_class=StreamingResponse)
    async def errors_csv(job: JobDep, request: Request) -> StreamingResponse:
        sessions = _worker(request).context.sessions

        async def body() -> AsyncIterator[bytes]:
            batch, first = [], True
            async for problem in store.problems(sessions, job):
                batch.append(problem)
                if len(batch) >= store.PAGE:
                    yield report.csv_part(batch, first)
                    batch, first = [], False
            yield report.csv_part(batch, first)

        return StreamingResponse(body(), media_type="text/csv; charset=utf-8", headers=_attachment(job, "csv"))

    @router.get("/{job_id}/errors.xlsx", summary="Row-level error report, XLSX / 错误报告", response_class=StreamingResponse)
    async def errors_xlsx(job: JobDep, request: Request) -> StreamingResponse:
        sheet = report.XlsxReport()
        async for problem in store.problems(_worker(request).context.sessions, job):
            sheet.append(problem)
        spool = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
        await asyncio.to_thread(sheet.save, spool)
        spool.seek(0)

        def chunks() -> Any:
            with spool:
                while piece := spool.read(READ_PIECE):
                    yield piece

        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return StreamingResponse(chunks(), media_type=media, headers=_attachment(job, "xlsx"))

    return router


def _attachment(job: store.Job, extension: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="upload-{job.job_id[:8]}-errors.{extension}"'}
