"""The county what-if and the backtest print Chinese tables: rules by name, never an id or an English header."""
from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cases_support import POLICY_FOR, apply_changes, at, open_store
from test_project_as_of import COUNTY, version
from typer.testing import CliRunner

from services.cli import app
from shared.wording import RAW_IDENTIFIER

runner = CliRunner()


@pytest.fixture
def history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ESCALATION_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'escalation.db'}")

    async def load() -> None:
        engine, sessions = await open_store(f"sqlite+aiosqlite:///{tmp_path / 'escalation.db'}", None)
        await apply_changes(sessions, [version(1, 25, datetime(2026, 1, 10, 2, tzinfo=UTC))], POLICY_FOR, date(2026, 1, 10),
                            at(date(2026, 1, 10)))
        await engine.dispose()

    asyncio.run(load())
    proposed = tmp_path / f"{COUNTY}.toml"
    proposed.write_text('policy_version = 99\n[budget_overrun]\ncase_percent = "10"\n', encoding="utf-8")
    return proposed


def test_whatif_and_backtest_speak_chinese(history: Path) -> None:
    whatif = runner.invoke(app, ["escalation", "whatif", "--county", COUNTY, "--as-of", "2026-05-01"])
    assert whatif.exit_code == 0, whatif.output
    assert "规则" in whatif.output and "超概算" in whatif.output and "共评估1个项目" in whatif.output
    backtest = runner.invoke(app, ["escalation", "backtest", "--county", COUNTY, "--policy", str(history),
                                   "--from", "2026-01-01", "--to", "2026-03-01"])
    assert backtest.exit_code == 0, backtest.output
    assert "现行红" in backtest.output and "超概算" in backtest.output
    for output in (whatif.output, backtest.output):
        assert not RAW_IDENTIFIER.search(output), output
        assert not any(word in output for word in ("rule", "red", "yellow", "proposed")), output
