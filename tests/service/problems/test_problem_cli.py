"""`tuijin escalation problem …` against a running problems API (SQLite): list, raise and work a problem, refusals in Chinese."""
from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from test_problem_list import COUNTY, POLICY_DIR, POLICY_FOR, PROBLEM_POLICY_FOR, at, ledger, pid, problem
from typer.testing import CliRunner

from services.cli import app
from services.escalation.cases.policy import case_policies
from services.escalation.problems.api import build_problem_api
from services.escalation.service import apply_changes
from shared.clock import FixedClock
from shared.db import make_engine, migrate, session_factory
from tests.conftest import free_port, wait_for_port

runner = CliRunner()
DAY = date(2026, 3, 2)


@pytest.fixture
def api(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'escalation.db'}"
    monkeypatch.setenv("ESCALATION_DATABASE_URL", url)

    async def prepare() -> None:
        await migrate(Path(__file__).resolve().parents[3] / "services" / "escalation" / "migrations", url)
        engine = make_engine(url)
        await apply_changes(session_factory(engine), [ledger(COUNTY, 9, 1, [problem("P-9", "环评批复滞后", "2026-02", "审批", "生态环境分局")])],
                            POLICY_FOR, DAY, at(DAY), problem_policy_for=PROBLEM_POLICY_FOR)
        await engine.dispose()

    asyncio.run(prepare())
    problems = FastAPI()
    problems.include_router(build_problem_api(session_factory(make_engine(url)), FixedClock(at(DAY)), POLICY_FOR, PROBLEM_POLICY_FOR,
                                              case_policies(POLICY_DIR)))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(problems, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def invoke(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, ["escalation", *args])
    assert result.exit_code == code, result.output
    return result.output


def token_of(output: str) -> str:
    return re.search(r"token \(shown once\): (\S+)", output).group(1)  # type: ignore[union-attr]


def test_problem_commands(api: str) -> None:
    department = token_of(invoke("people", "add", "--county", COUNTY, "--login", "hb", "--name", "赵敏", "--role", "department",
                                 "--department", "生态环境分局"))
    office = token_of(invoke("people", "add", "--county", COUNTY, "--login", "ban", "--name", "周敏", "--role", "office"))
    [line] = invoke("problem", "list", "--token", department, "--api", api, "--mine").splitlines()
    assert "【审批】问题测试项目9：环评批复滞后" in line and "责任部门解决→生态环境分局 待受理 期限 2026-03-16" in line
    problem_id = line.split()[0]
    assert "已受理" in invoke("problem", "act", problem_id, "accept", "--token", department, "--api", api)
    moved = invoke("problem", "act", problem_id, "submit", "--reason", "需区领导协调", "--token", department, "--api", api)
    assert "分包领导协调→陈立新 待受理" in moved
    refused = invoke("problem", "act", problem_id, "close", "--token", office, "--api", api, code=1)
    assert "未办理（409）" in refused and "只有已解决的问题可以销号" in refused
    raised = invoke("problem", "raise", "--project-id", str(pid(COUNTY, 9)), "--category", "资金", "--description", "配套资金未到位",
                    "--token", office, "--api", api)
    assert "【资金】问题测试项目9：配套资金未到位" in raised and "发改局" in raised
