"""Running an upload job: stream the stored file in chunks, publish valid rows, quarantine the rest, count as it goes."""
from __future__ import annotations

import asyncio
import hashlib
import io
import logging
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from itertools import islice

from sqlalchemy.ext.asyncio import async_sessionmaker

from services.intake.domain import Origin
from services.intake.feeds.spreadsheet import store
from services.intake.feeds.spreadsheet.columns import ColumnTally
from services.intake.feeds.spreadsheet.mapping import BEIJING, RECORD_HOUR, Layout, Mapped, Problem, locate
from services.intake.feeds.spreadsheet.profiles import Profile, ProfileError, find_profile
from services.intake.feeds.spreadsheet.readers import NotASpreadsheet, read_rows
from services.intake.feeds.spreadsheet.records import map_row, validate
from services.intake.feeds.spreadsheet.resubmits import OpenRejections
from services.intake.publishing import Publisher, PublishFailed
from shared.contracts import ProjectUpdated

log = logging.getLogger(__name__)
CHUNK = 500
MAX_RUNS = 3  # a job whose process died mid-way this often (e.g. killed for memory) is failed, not rerun forever
PUBLISH_ATTEMPTS = 6  # 1+2+4+8+16 s of waiting: a NATS restart, not an outage; then the job fails and a re-upload retries it


@dataclass
class JobContext:
    sessions: async_sessionmaker
    publisher: Publisher
    now: Callable[[], datetime]


class _Rows:
    """Mapped rows of one file, consumed chunk by chunk in a worker thread (openpyxl and pydantic are CPU-bound)."""

    def __init__(self, profile: Profile, layout: Layout, rows: Iterator[tuple[int, list[object]]], county: str,
                 as_of: datetime | None, now: datetime, origin: Origin) -> None:
        self._profile, self._layout, self._county, self._as_of, self._now = profile, layout, county, as_of, now
        self._rows, self._origin = rows, origin
        self.tally = ColumnTally()
        # (record id, time) → first row: one file giving a record twice is ambiguous (which is the correction?)
        self._seen: dict[tuple[str, str], int] = {}

    def _one(self, number: int, values: list[object]) -> tuple[Mapped, ProjectUpdated | None] | None:
        mapped = map_row(self._profile, self._layout, number, values, self._as_of)
        if mapped is None:
            return None
        self.tally.add(mapped)
        event = validate(self._profile, self._layout, self._county, mapped, self._now, self._origin)
        if event is not None:
            record = event.update.source_record_id, event.update.source_record_time.isoformat()
            first = self._seen.setdefault(record, number)
            if first != number:
                mapped.problems.append(Problem(number, "", "", f"与第 {first} 行是同一条记录（同一项目、同一时间）",
                                               f"the same record as row {first} (same project, same time)"))
                return mapped, None
        return mapped, event

    def chunk(self) -> list[tuple[Mapped, ProjectUpdated | None]] | None:
        """The next rows' results; None at the end of the file (a chunk of blank rows is [], not the end)."""
        rows = list(islice(self._rows, CHUNK))
        if not rows:
            return None
        return [result for number, values in rows if (result := self._one(number, list(values)))]


async def _publish(publisher: Publisher, events: list[ProjectUpdated]) -> None:
    for attempt in range(PUBLISH_ATTEMPTS):
        try:
            return await publisher.publish(events)
        except PublishFailed:
            if attempt == PUBLISH_ATTEMPTS - 1:
                raise
            log.warning("upload chunk not acknowledged by JetStream; retrying", exc_info=True)
            await asyncio.sleep(2.0**attempt)


def _failure(reason_zh: str, reason_en: str, problems: list[Problem] | None = None) -> dict[str, object]:
    lines = problems or [Problem(0, "", "", reason_zh, reason_en)]
    return {"reason_zh": reason_zh, "reason_en": reason_en, "problems": [asdict(problem) for problem in lines]}


async def run_job(context: JobContext, job_id: str) -> store.Job:
    """Idempotent: a rerun (after a restart) publishes the same event ids, which JetStream and tracker keep once."""
    sessions = context.sessions
    job = await store.get_job(sessions, None, job_id)
    if job is None:
        raise LookupError(f"no upload job {job_id}")
    try:
        profile = find_profile(job.profile)
    except (LookupError, ProfileError) as error:  # the profile file went away or broke since the upload
        await store.finish(sessions, job, context.now(), _failure("映射模板不可用", f"profile unusable: {error}"))
        return await _reload(sessions, job_id)
    if job.runs >= MAX_RUNS:
        reason = f"processing was cut off {job.runs} times (the service stopped or ran out of memory); not retried again"
        await store.finish(sessions, job, context.now(), _failure(f"处理 {job.runs} 次均中断（服务停止或内存不足），不再重试", reason))
        return await _reload(sessions, job_id)
    await store.begin_run(sessions, job, profile.version)
    job = await _reload(sessions, job_id)
    try:
        failure = await _run(context, job, profile)
    except PublishFailed as error:
        failure = _failure("消息服务暂不可用，请稍后重新上传同一文件", f"JetStream unavailable, upload the same file again later: {error}")
    except Exception:
        log.exception("upload job %s failed", job_id)
        failure = _failure("处理文件时出现内部错误", "internal error while processing the file")
    await store.finish(sessions, job, context.now(), failure)
    return await _reload(sessions, job_id)


async def _reload(sessions: async_sessionmaker, job_id: str) -> store.Job:
    job = await store.get_job(sessions, None, job_id)
    assert job is not None
    return job


def parse_as_of(value: str) -> datetime:
    """A date means that day's 18:00 in Beijing (the ledger's day); a datetime without zone is Beijing time."""
    moment = datetime.fromisoformat(value.strip())
    if len(value.strip()) == 10:
        return moment.replace(hour=RECORD_HOUR.hour, tzinfo=BEIJING)
    return moment if moment.tzinfo else moment.replace(tzinfo=BEIJING)


async def queue_upload(sessions: async_sessionmaker, county: str, filename: str, content: bytes, profile: Profile,
                       as_of: datetime | None, now: datetime, submitted_by: str | None = None) -> tuple[store.Job, bool]:
    """Keep the file (content-addressed) and name its job; the job must run unless this very upload already ran."""
    sha256 = hashlib.sha256(content).hexdigest()
    await store.store_file(sessions, county, sha256, filename, content, now)
    job_id = store.job_id_for(county, sha256, profile.name, profile.version, as_of)
    row = {"job_id": job_id, "county_code": county, "profile": profile.name, "profile_version": profile.version,
           "file_sha256": sha256, "filename": filename[:300], "created_at": now}
    return await store.queue_job(sessions, row, as_of, submitted_by)


async def _run(context: JobContext, job: store.Job, profile: Profile) -> dict[str, object] | None:
    sessions, content = context.sessions, await store.file_content(context.sessions, job.file_sha256)
    try:
        rows = await asyncio.to_thread(read_rows, io.BytesIO(content))
        layout = await asyncio.to_thread(locate, profile, rows)
    except NotASpreadsheet as error:
        return _failure(error.reason_zh, error.reason_en)
    if layout.problems:
        return _failure("表头不符合模板，未导入任何行", "the header does not match the profile; no row was imported", layout.problems)
    origin = Origin(f"upload {job.job_id} ({job.filename})"[:300], job.submitted_by)
    stream = _Rows(profile, layout, layout.data_rows(rows), job.county_code, job.as_of, context.now(), origin)
    rejections = await OpenRejections.load(sessions, job.county_code, job.profile, job.job_id)
    total = accepted = rejected = 0
    while True:
        try:
            chunk = await asyncio.to_thread(stream.chunk)
        except NotASpreadsheet as error:  # e.g. an encoding error half-way: the rows before it are in
            return _failure(error.reason_zh, error.reason_en)
        if chunk is None:
            await store.note(sessions, job.job_id, stream.tally.report(layout, profile))
            return None
        if not chunk:  # blank rows only: read on
            continue
        events = [event for _, event in chunk if event is not None]
        refused = [mapped for mapped, event in chunk if event is None]
        await _publish(context.publisher, events)
        now = context.now()
        await store.keep_rejected(sessions, job.county_code, job.job_id, now, refused)
        await rejections.mark(sessions, [mapped.key for mapped, event in chunk if event is not None], now)
        total, accepted, rejected = total + len(chunk), accepted + len(events), rejected + len(refused)
        await store.progress(sessions, job.job_id, total, accepted, rejected)
