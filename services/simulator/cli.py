"""`generate` county feeds into a directory; `post` the JSON batches or `upload` the spreadsheets to a running intake."""
from __future__ import annotations

import json
import time
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from services.addresses import address
from services.simulator.formats import FORMATS, batch_files, sheet_files, write
from services.simulator.generate import Mix, generate

app = typer.Typer(name="simulator", help="County simulator: realistic feeds with planted problems.", no_args_is_help=True)
INTAKE_URL = address("intake", "http://127.0.0.1:8100")  # where `make run` put it, else the default port
MAX_ATTEMPTS = 10  # a 503 (JetStream not acknowledging) is retried after Retry-After, this many times
POLL_SECONDS, POLL_LIMIT = 0.2, 3000  # an upload job is polled this often, at most this many times (10 minutes)


@app.command("generate")
def generate_command(
    out: Annotated[Path, typer.Option(help="directory to write the batches and manifest.json into")],
    counties: Annotated[int, typer.Option(min=1, help="number of counties")] = 2,
    projects: Annotated[int, typer.Option(min=1, help="projects per county")] = 20,
    months: Annotated[int, typer.Option(min=1, max=120, help="span in months")] = 12,
    seed: Annotated[int, typer.Option(help="same seed, same feeds")] = 1,
    start: Annotated[str, typer.Option(help="first month of the span, YYYY-MM")] = "2025-01",
    idle: Annotated[float, typer.Option(min=0, max=1, help="share of projects with an idle parcel")] = 0.1,
    overrun: Annotated[float, typer.Option(min=0, max=1, help="share with an unapproved budget overrun")] = 0.1,
    late: Annotated[float, typer.Option(min=0, max=1, help="share with monthly ledgers missing")] = 0.1,
    typos: Annotated[float, typer.Option(min=0, max=1, help="share of records first sent with a typo")] = 0.05,
    formats: Annotated[str, typer.Option(help="comma-separated: json (API batches), xlsx (发改局 ledger, 土地供应清单), csv (财政局 payments)")]
    = ",".join(FORMATS),
) -> None:
    """Write N counties × M projects over K months as JSON batches and spreadsheets, and what was planted in manifest.json."""
    chosen = tuple(dict.fromkeys(part.strip() for part in formats.split(",") if part.strip()))
    if not chosen or set(chosen) - set(FORMATS):
        raise typer.BadParameter(f"formats are a comma-separated choice of {', '.join(FORMATS)}", param_hint="--formats")
    first = date.fromisoformat(f"{start}-01")
    feeds = generate(counties, projects, months, seed, first, Mix(idle=idle, overrun=overrun, late=late, typos=typos))
    parameters = {"counties": counties, "projects": projects, "months": months, "seed": seed, "start": start,
                  "idle": idle, "overrun": overrun, "late": late, "typos": typos}
    files = write(feeds, out, parameters, chosen)
    total = sum(len(items) for items in feeds.items.values())
    typer.echo(f"{total} items, {len(files)} files ({', '.join(chosen)}) for {counties} counties, {feeds.start} … {feeds.end}, in {out}")
    for kind, count in feeds.counts().items():
        typer.echo(f"  {kind:<22} {count}")


@app.command("post")
def post_command(
    directory: Annotated[Path, typer.Argument(help="a directory written by `generate`")],
    url: Annotated[str, typer.Option(help="intake's HTTP address")] = INTAKE_URL,
    token_file: Annotated[Path, typer.Option(help='JSON {"<county>": "<token>"}')] = Path("tokens.json"),
) -> None:
    """Post every batch to intake, county by county in sending order; print accepted and rejected counts."""
    tokens: dict[str, str] = json.loads(token_file.read_text("utf-8"))
    accepted = rejected = 0
    with httpx.Client(base_url=url, timeout=60) as client:
        for county, files in batch_files(directory).items():
            if county not in tokens:
                typer.echo(f"no token for {county} in {token_file}", err=True)
                raise typer.Exit(1)
            for path in files:
                body = _post(client, county, tokens[county], path)
                accepted, rejected = accepted + body["accepted"], rejected + body["rejected"]
            typer.echo(f"{county}: {len(files)} batches posted")
    typer.echo(f"accepted {accepted}, rejected {rejected}")


def _post(client: httpx.Client, county: str, token: str, path: Path) -> dict[str, int]:
    for _ in range(MAX_ATTEMPTS):
        response = client.post(f"/v1/counties/{county}/updates", content=path.read_bytes(),
                               headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        # 422 is a batch whose items were all rejected (each quarantined): an answer, not a failure.
        if response.status_code in (202, 422) and "accepted" in response.json():
            return response.json()  # type: ignore[no-any-return]
        if response.status_code != 503:
            typer.echo(f"{path}: {response.status_code} {response.text[:300]}", err=True)
            raise typer.Exit(1)
        time.sleep(float(response.headers.get("Retry-After", "5")))
    typer.echo(f"{path}: intake kept answering 503", err=True)
    raise typer.Exit(1)


@app.command("upload")
def upload_command(
    directory: Annotated[Path, typer.Argument(help="a directory written by `generate` with xlsx and/or csv")],
    url: Annotated[str, typer.Option(help="intake's HTTP address")] = INTAKE_URL,
    token_file: Annotated[Path, typer.Option(help='JSON {"<county>": "<token>"}')] = Path("tokens.json"),
) -> None:
    """Upload every spreadsheet with its profile, wait for each job, print its rows accepted and rejected."""
    tokens: dict[str, str] = json.loads(token_file.read_text("utf-8"))
    totals = {"rows_total": 0, "rows_accepted": 0, "rows_rejected": 0}
    failed = 0
    with httpx.Client(base_url=url, timeout=120) as client:
        for county, files in sheet_files(directory).items():
            if county not in tokens:
                typer.echo(f"no token for {county} in {token_file}", err=True)
                raise typer.Exit(1)
            for profile, path in files:
                job = _upload(client, county, tokens[county], profile, path)
                for key in totals:
                    totals[key] += job[key]
                failed += job["status"] == "failed"
                problem = f" — failed: {job['error']}" if job["status"] == "failed" else ""
                typer.echo(f"{county} {profile}: rows {job['rows_total']}, accepted {job['rows_accepted']}, "
                           f"rejected {job['rows_rejected']}{problem}")
    typer.echo(f"rows {totals['rows_total']}, accepted {totals['rows_accepted']}, rejected {totals['rows_rejected']}")
    if failed:
        raise typer.Exit(1)


def _upload(client: httpx.Client, county: str, token: str, profile: str, path: Path) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    response = client.post(f"/v1/counties/{county}/uploads", headers=headers, data={"profile": profile},
                           files={"file": (path.name, path.read_bytes())})
    if response.status_code != 202:
        typer.echo(f"{path}: {response.status_code} {response.text[:300]}", err=True)
        raise typer.Exit(1)
    job_id = response.json()["job_id"]
    for _ in range(POLL_LIMIT):
        job = client.get(f"/v1/counties/{county}/uploads/{job_id}", headers=headers)
        if job.status_code != 200:
            typer.echo(f"{path}: job {job_id}: {job.status_code} {job.text[:300]}", err=True)
            raise typer.Exit(1)
        if job.json()["status"] in ("done", "failed"):
            return job.json()  # type: ignore[no-any-return]
        time.sleep(POLL_SECONDS)
    typer.echo(f"{path}: job {job_id} still not done", err=True)
    raise typer.Exit(1)


if __name__ == "__main__":
    app()
