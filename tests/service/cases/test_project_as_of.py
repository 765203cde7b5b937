"""One project "as of" a day, from the CLI: the facts as known that day and every rule's result, level and addressees."""
from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cases_support import BUDGET, POLICY_FOR, apply_changes, at, open_store
from typer.testing import CliRunner

from services.cli import app
from shared.contracts import ProjectSnapshot, ProjectStateChanged

runner = CliRunner()
COUNTY = "330106"
CODE = f"2403-{COUNTY}-04-01-000042"
PID = uuid.uuid5(uuid.NAMESPACE_URL, "as-of|42")


def version(n: int, percent_over: int, recorded: datetime) -> ProjectStateChanged:
    snap = ProjectSnapshot.model_validate({
        "project_id": PID, "project_code": CODE, "name": "城西快速路", "stage": "started", "leader": "陈立新", "lead_department": "区交通局",
        "government_funded": True, "budget_fen": BUDGET, "committed_cost_fen": BUDGET * (100 + percent_over) // 100,
        "last_source_record_time": recorded,
    })
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"as-of-state|{n}")
    return ProjectStateChanged(event_id=event_id, occurred_at=recorded, county_code=COUNTY, correlation_id=str(PID), project_id=PID,
                               version=n, changed_fields=("committed_cost_fen",), snapshot=snap,
                               caused_by=uuid.uuid5(uuid.NAMESPACE_URL, f"as-of-update|{n}"), source_system="财政局支付台账")


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'escalation.db'}"
    monkeypatch.setenv("ESCALATION_DATABASE_URL", url)

    async def load() -> None:
        engine, sessions = await open_store(url, None)
        await apply_changes(sessions, [version(1, 10, datetime(2026, 1, 10, 2, tzinfo=UTC))], POLICY_FOR, date(2026, 1, 10),
                            at(date(2026, 1, 10)))
        await apply_changes(sessions, [version(2, 25, datetime(2026, 4, 1, 2, tzinfo=UTC))], POLICY_FOR, date(2026, 4, 1),
                            at(date(2026, 4, 1)))
        await engine.dispose()

    asyncio.run(load())
    return url


def as_of(day: str, county: str = COUNTY, project: str = CODE) -> dict:
    result = runner.invoke(app, ["escalation", "whatif", "--county", county, "--as-of", day, "--project", project, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def overrun(view: dict) -> dict:
    [rule] = [r for r in view["rules"] if r["rule_id"] == "R2.budget_overrun"]
    return rule


def test_each_day_reads_the_facts_known_then(db_url: str) -> None:
    february = as_of("2026-02-01")
    assert (february["version"], february["facts"]["committed_cost_fen"]) == (1, BUDGET * 110 // 100)
    rule = overrun(february)
    assert (rule["colour"], rule["level"]) == ("yellow", 1)
    assert {(a["name"], a["role"]) for a in rule["addressees"]} >= {("区交通局", "action"), ("陈立新", "action")}

    may = as_of("2026-05-01")
    assert may["version"] == 2
    rule = overrun(may)
    assert (rule["colour"], rule["level"]) == ("red", 2)
    assert {a["name"] for a in rule["addressees"] if a["role"] == "action"} == {"区纪委监委", "审计局"}
    assert "25.00%" in rule["summary"]
    # Every rule of the catalogue is accounted for, the ones that find nothing as clear.
    assert {r["colour"] for r in may["rules"] if r["rule_id"] == "R1.idle_land"} == {"clear"}


def test_a_day_before_anything_was_known_and_another_county_find_nothing(db_url: str) -> None:
    before = runner.invoke(app, ["escalation", "whatif", "--county", COUNTY, "--as-of", "2025-12-31", "--project", CODE])
    assert before.exit_code != 0 and "尚无数据" in before.output
    elsewhere = runner.invoke(app, ["escalation", "whatif", "--county", "330782", "--as-of", "2026-05-01", "--project", CODE])
    assert elsewhere.exit_code != 0 and CODE in elsewhere.output


def test_the_text_view_names_levels_and_addressees_in_chinese(db_url: str) -> None:
    result = runner.invoke(app, ["escalation", "whatif", "--county", COUNTY, "--as-of", "2026-05-01", "--project", CODE])
    assert result.exit_code == 0, result.output
    assert "截至2026-05-01" in result.output and "区纪委监委（办理）" in result.output and "第2版" in result.output
