"""Operator commands for spreadsheet uploads: list a county's jobs, print a job's error report, resubmit a corrected file.

`resubmit` runs the same job path as an HTTP upload, directly against intake's database and NATS (from
INTAKE_* settings, like the other intake commands), and waits for the job: no token needed on the host.
"""
from __future__ import annotations

import asyncio
import getpass
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from prometheus_client import CollectorRegistry, Histogram
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.intake.feeds.spreadsheet import report, store
from services.intake.feeds.spreadsheet.jobs import JobContext, parse_as_of, queue_upload, run_job
from services.intake.feeds.spreadsheet.mapping import Problem
from services.intake.feeds.spreadsheet.profiles import ProfileError, find_profile
from services.intake.feeds.spreadsheet.resubmits import resubmitted_since
from services.intake.publishing import NatsLink, Publisher
from services.intake.settings import Settings
from shared.db import make_engine, migrate, session_factory

MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")
app = typer.Typer(name="uploads", help="Spreadsheet ledger uploads: jobs, error reports, corrected files.", no_args_is_help=True)


def _run(work: Callable[[async_sessionmaker, Settings], Awaitable[T]]) -> T:
    async def run() -> T:
        settings = Settings()
        await migrate(MIGRATIONS, settings.database_url, settings.database_schema)
        engine = make_engine(settings.database_url, settings.database_schema)
        try:
            return await work(session_factory(engine), settings)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _fail(message: str) -> None:
    typer.echo(message, err=True)
    raise typer.Exit(1)


def _summary(job: store.Job) -> str:
    failure = job.failure()
    line = (f"{job.job_id}\t{job.created_at:%Y-%m-%d %H:%M}\t{job.status}\t{job.profile} v{job.profile_version}\t"
            f"rows {job.rows_total} accepted {job.rows_accepted} rejected {job.rows_rejected}\t{job.filename}")
    return line + (f"\n  {failure['reason_en']} / {failure['reason_zh']}" if failure else "")


@app.command("list")
def list_jobs(county: str, limit: Annotated[int, typer.Option(min=1, max=200)] = 20) -> None:
    """COUNTY's newest upload jobs with their counts."""
    jobs = _run(lambda sessions, _: store.recent_jobs(sessions, county, limit))
    for job in jobs:
        typer.echo(_summary(job))
    if not jobs:
        typer.echo("no uploads", err=True)


@app.command("errors")
def errors(job_id: str, out: Annotated[Path | None, typer.Option(help="write the report to this .csv or .xlsx file")] = None) -> None:
    """A job's row-level error report (row, column, value, reason 中文/English); CSV on stdout unless --out."""
    async def collect(sessions: async_sessionmaker, _: Settings) -> list[Problem] | None:
        job = await store.get_job(sessions, None, job_id)
        return None if job is None else [problem async for problem in store.problems(sessions, job)]

    problems = _run(collect)
    if problems is None:
        _fail(f"no upload job {job_id}")
        return
    if out is None:
        sys.stdout.buffer.write(report.csv_part(problems, first=True))
    else:
        with out.open("wb") as stream:
            (report.write_xlsx if out.suffix.lower() == ".xlsx" else report.write_csv)(problems, stream)
        typer.echo(f"{len(problems)} problems written to {out}", err=True)


@app.command("resubmit")
def resubmit(county: str, file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
             profile: Annotated[str, typer.Option(help="mapping profile, e.g. fgw_ledger")],
             as_of: Annotated[str | None, typer.Option(help="the ledger's date (YYYY-MM-DD) when no column gives it")] = None) -> None:
    """Upload a corrected FILE for COUNTY through the job path and wait; earlier rejected rows it now carries are marked resubmitted."""
    try:
        chosen, moment = find_profile(profile), parse_as_of(as_of) if as_of else None
    except (LookupError, ProfileError, ValueError) as error:
        _fail(str(error))
        return

    async def work(sessions: async_sessionmaker, settings: Settings) -> tuple[store.Job, int]:
        link = NatsLink(settings.nats_url, name="intake-cli", nkeys_seed=settings.nats_nkey_seed_file)  # accounts are on
        await link.start(wait=settings.nats_connect_wait_seconds)
        try:
            duration = Histogram("intake_publish_duration_seconds", "publish time", registry=CollectorRegistry())
            context = JobContext(sessions, Publisher(link, duration, settings.publish_timeout_seconds), lambda: datetime.now(UTC))
            started = context.now()
            job, _ = await queue_upload(sessions, county, file.name, file.read_bytes(), chosen, moment, started,
                                        f"command line ({getpass.getuser()})")
            job = await run_job(context, job.job_id)  # an already-done identical upload runs again: same ids, nothing new
            return job, await resubmitted_since(sessions, county, started)
        finally:
            await link.close()

    job, marked = _run(work)
    typer.echo(_summary(job))
    typer.echo(f"{marked} earlier rejected rows now resubmitted")
    if job.status != "done":
        raise typer.Exit(1)
