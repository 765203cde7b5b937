"""`tuijin intake profile check`: the mapping and the first rows as they would be read, nothing sent or stored."""
from __future__ import annotations

import json
from pathlib import Path

from county_tables import problems_xlsx, progress_row, progress_xlsx
from ledgers import csv_bytes, fgw_row, fgw_xlsx, project_code
from typer.testing import CliRunner

from services.intake.cli import app

runner = CliRunner()


def test_check_shows_each_columns_field_and_the_first_rows_as_read(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("INTAKE_NATS_URL", "nats://127.0.0.1:1")  # nothing may be sent: there is nowhere to send it
    monkeypatch.setenv("INTAKE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'never.db'}")
    ledger = tmp_path / "台账.xlsx"
    ledger.write_bytes(fgw_xlsx([fgw_row(1, c1=project_code(1)), fgw_row(2, c5="一万二"), fgw_row(3, c1=project_code(3))]))
    result = runner.invoke(app, ["profile", "check", str(ledger), "--profile", "fgw_ledger", "--rows", "2"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "header ends at row 4" in lines[0] and "'ledger_month': '2024-03'" in lines[0]
    assert "  总投资(万元)  → total_investment_fen (万元)" in lines and any(line.startswith("  备注  ignored:") for line in lines)
    first = json.loads(next(line for line in lines if line.startswith("row 5: ")).removeprefix("row 5: "))
    assert (first["project_code"], first["total_investment_fen"]) == (project_code(1), 12_000_500_000)
    assert "row 6: refused — 总投资(万元): 不是数字" in result.stdout and "row 7" not in result.stdout  # --rows 2
    assert not (tmp_path / "never.db").exists()


def test_check_says_when_the_header_is_not_found(tmp_path: Path) -> None:
    payments = tmp_path / "支付.csv"
    payments.write_bytes(csv_bytes([["1", "2"]], header=["序号", "金额"]))
    result = runner.invoke(app, ["profile", "check", str(payments), "--profile", "fgw_ledger"])
    assert result.exit_code == 1 and "找不到表头" in result.stdout


def test_check_reads_a_progress_table_and_a_problem_list(tmp_path: Path) -> None:
    table, problems = tmp_path / "推进表.xlsx", tmp_path / "问题清单.xlsx"
    table.write_bytes(progress_xlsx([progress_row(project_code(1), "城西科创园", 3200, "1.土地未交付；2.水电未通")]))
    problems.write_bytes(problems_xlsx([(project_code(1), "城西科创园", [["WT-1", "用地", "土地未交付", "县自然资源局", "2026-10-05", None, None],
                                                                      [None, "配套", "水电未通", "县供电公司", None, None, None]])]))
    shown = runner.invoke(app, ["profile", "check", str(table), "--profile", "county_progress"])
    assert shown.exit_code == 0, shown.output
    assert "'ledger_month': '2026-11'" in shown.stdout and "  存在问题  → ledger.problems + reported_problems.description" in shown.stdout
    assert "  完成率  ignored: 完成率由系统" in shown.stdout
    row = json.loads(next(line for line in shown.stdout.splitlines() if line.startswith("row 5: ")).removeprefix("row 5: "))
    assert [p["description"] for p in row["reported_problems"]] == ["土地未交付", "水电未通"]
    listed = runner.invoke(app, ["profile", "check", str(problems), "--profile", "project_problems"])
    assert listed.exit_code == 0, listed.output
    rows = [json.loads(line.split(": ", 1)[1]) for line in listed.stdout.splitlines() if line.startswith("row ")]
    assert [(r["project_code"], r["reported_problems"][0]["description"]) for r in rows] == [(project_code(1), "土地未交付"),
                                                                                          (project_code(1), "水电未通")]
