"""`tuijin escalation people …` on the service database and `tuijin escalation case …` against a running cases API (SQLite)."""
from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from cases_support import at, case_app, case_row, open_store, raise_overrun
from typer.testing import CliRunner

from services.cli import app
from shared.clock import FixedClock
from shared.db import make_engine, session_factory
from tests.conftest import free_port, wait_for_port

runner = CliRunner()


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'escalation.db'}"
    monkeypatch.setenv("ESCALATION_DATABASE_URL", url)
    return url


@pytest.fixture
def api(db_url: str) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(case_app(session_factory(make_engine(db_url)), FixedClock(at(date(2026, 6, 2)))),
                                           host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def invoke(*args: str) -> str:
    result = runner.invoke(app, ["escalation", *args])
    assert result.exit_code == 0, result.output
    return result.output


async def _raise_case(db_url: str) -> str:
    engine, sessions = await open_store(db_url, None)
    case_id = (await raise_overrun(sessions, date(2026, 6, 1)))["case_id"]
    await engine.dispose()
    return case_id


async def _state(db_url: str, case_id: str) -> str:
    engine, sessions = await open_store(db_url, None)
    state = (await case_row(sessions, case_id))["state"]
    await engine.dispose()
    return state


def test_people_and_case_commands(db_url: str, api: str) -> None:
    # Sync on purpose: the commands run their own event loop, like they do from a shell.
    case_id = asyncio.run(_raise_case(db_url))
    output = invoke("people", "add", "--county", "330106", "--login", "wang", "--name", "王五", "--role", "department",
                    "--department", "发改局")
    token = re.search(r"token \(shown once\): (\S+)", output).group(1)
    assert "wang" in invoke("people", "list", "--county", "330106") and "active" in invoke("people", "list")
    bad = runner.invoke(app, ["escalation", "people", "add", "--county", "330106", "--login", "li", "--name", "李", "--role", "boss"])
    assert bad.exit_code == 2 and "role must be one of" in bad.output

    assert case_id in invoke("case", "list", "--token", token, "--api", api)
    listed = invoke("case", "list", "--token", token, "--api", api, "--open").splitlines()
    first = runner.invoke(app, ["escalation", "case", "list", "--token", token, "--api", api, "--limit", "1"])
    assert len(listed) > 1 and first.stdout.splitlines() == listed[:1] and "--offset 1" in first.stderr  # a page that is not the last says so
    assert "acknowledged" in invoke("case", "ack", case_id, "--token", token, "--api", api, "--note", "收到")
    assert "replied" in invoke("case", "reply", case_id, "--token", token, "--api", api, "--explanation", "说明", "--remedy-plan", "方案")
    refused = runner.invoke(app, ["escalation", "case", "close", case_id, "--token", token, "--api", api])
    assert refused.exit_code == 1 and "403" in refused.output
    assert "部门不能办结此督办件" in refused.output and '{"detail"' not in refused.output  # words, not a JSON body
    assert asyncio.run(_state(db_url, case_id)) == "replied"

    invoke("people", "disable", "wang")
    assert runner.invoke(app, ["escalation", "case", "list", "--token", token, "--api", api]).exit_code == 1  # checked on every request
