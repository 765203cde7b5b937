"""`generate` then `post` or `upload` against a real intake (uvicorn, a nats-server, SQLite): intake's counts match the manifest."""
from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from services.intake import tokens
from services.intake.app import MIGRATIONS, create_app
from services.intake.settings import Settings
from services.simulator.cli import app
from services.simulator.generate import as_of_utc
from shared.clock import FixedClock
from shared.db import make_engine, migrate, session_factory
from tests.conftest import free_port, wait_for_port


async def _issue(url: str, counties: list[str]) -> dict[str, str]:
    await migrate(MIGRATIONS, url)
    engine = make_engine(url)
    try:
        return {county: await tokens.issue_token(session_factory(engine), county, "simulator") for county in counties}
    finally:
        await engine.dispose()


@pytest.fixture
def intake_url(tmp_path: Path, nats_server) -> Iterator[tuple[str, str]]:  # type: ignore[no-untyped-def]
    database = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    port = free_port()
    # Intake's clock on the span's last day, so the planted dates are judged as the generator meant them.
    clock = FixedClock(as_of_utc(date(2025, 6, 30)))
    server = uvicorn.Server(uvicorn.Config(create_app(Settings(database_url=database, nats_url=nats_server.url), clock),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port)
    yield f"http://127.0.0.1:{port}", database
    server.should_exit = True
    thread.join(10)


def test_generated_feeds_posted_to_a_running_intake_are_accepted_or_rejected_as_planted(tmp_path: Path, intake_url: tuple[str, str]) -> None:
    url, database = intake_url
    out = tmp_path / "feeds"
    runner = CliRunner()
    generated = runner.invoke(app, ["generate", "--counties", "2", "--projects", "8", "--months", "6", "--seed", "1",
                                    "--typos", "0.1", "--out", str(out)])
    assert generated.exit_code == 0, generated.output
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["end"] == "2025-06-30"
    token_file = tmp_path / "tokens.json"
    token_file.write_text(json.dumps(asyncio.run(_issue(database, list(manifest["items"])))), "utf-8")
    posted = runner.invoke(app, ["post", "--url", url, "--token-file", str(token_file), str(out)])
    assert posted.exit_code == 0, posted.output
    typos = sum(count for kind, count in manifest["planted_counts"].items() if kind.startswith("typo:"))
    total = sum(manifest["items"].values())
    assert f"accepted {total - typos}, rejected {typos}" in posted.output


def test_generated_sheets_uploaded_to_a_running_intake_reject_exactly_the_planted_bad_rows(tmp_path: Path,
                                                                                          intake_url: tuple[str, str]) -> None:
    url, database = intake_url
    out = tmp_path / "feeds"
    runner = CliRunner()
    generated = runner.invoke(app, ["generate", "--counties", "2", "--projects", "8", "--months", "6", "--seed", "2",
                                    "--typos", "0.1", "--formats", "xlsx,csv", "--out", str(out)])
    assert generated.exit_code == 0, generated.output
    assert not list(out.glob("*/*.json")) and len(list(out.glob("*/*.xlsx"))) == 4 and len(list(out.glob("*/*.csv"))) == 2
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    token_file = tmp_path / "tokens.json"
    token_file.write_text(json.dumps(asyncio.run(_issue(database, list(manifest["items"])))), "utf-8")
    uploaded = runner.invoke(app, ["upload", "--url", url, "--token-file", str(token_file), str(out)])
    assert uploaded.exit_code == 0, uploaded.output
    rows = sum(manifest["formats"][kind]["rows"] for kind in ("xlsx", "csv"))
    bad = sum(manifest["formats"][kind]["bad_rows"] for kind in ("xlsx", "csv"))
    assert bad > 0
    assert f"rows {rows}, accepted {rows - bad}, rejected {bad}" in uploaded.output
    for county, profiles in manifest["sheets"].items():
        for profile, info in profiles.items():
            assert f"{county} {profile}: rows {info['rows']}, accepted {info['rows'] - info['bad_rows']}, rejected {info['bad_rows']}" in uploaded.output
    again = runner.invoke(app, ["upload", "--url", url, "--token-file", str(token_file), str(out)])  # the same files: the same jobs
    assert again.exit_code == 0 and f"rows {rows}, accepted {rows - bad}, rejected {bad}" in again.output
