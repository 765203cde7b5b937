"""The spreadsheets carry the JSON batches' facts: read by intake's own reader and profiles, each file yields exactly
its planted bad rows and otherwise the same ProjectUpdate facts (codes, fen, dates) as the JSON for the same seed."""
from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from services.intake.domain import triage
from services.intake.feeds.spreadsheet.mapping import BEIJING, locate
from services.intake.feeds.spreadsheet.profiles import find_profile
from services.intake.feeds.spreadsheet.readers import read_rows
from services.intake.feeds.spreadsheet.records import map_row, validate
from services.simulator.cli import app
from services.simulator.formats import write
from services.simulator.generate import Feeds, Mix, as_of_utc, generate
from services.simulator.sheets import mu, wan, yuan
from shared.contracts import ProjectUpdate

PROFILES = ("fgw_ledger", "zrzy_land_supply", "cz_payments")


@dataclass
class Written:
    feeds: Feeds
    out: Path
    manifest: dict[str, Any]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> Written:
    feeds = generate(counties=3, projects=15, months=8, seed=3, mix=Mix(idle=0.2, overrun=0.2, late=0.2, typos=0.1))
    out = tmp_path_factory.mktemp("sim")
    write(feeds, out, {"seed": 3})
    return Written(feeds, out, json.loads((out / "manifest.json").read_text("utf-8")))


def parse(path: Path, profile_name: str, county: str, now: datetime) -> tuple[list[ProjectUpdate], int]:
    """What an upload job does with the file (jobs._Rows): the valid rows' updates, and how many rows were refused."""
    profile = find_profile(profile_name)
    rows = read_rows(io.BytesIO(path.read_bytes()))
    layout = locate(profile, rows)
    assert not layout.problems, layout.problems
    updates, refused = [], 0
    for number, values in rows:
        mapped = map_row(profile, layout, number, list(values), None)
        if mapped is None:
            continue
        event = validate(profile, layout, county, mapped, now)
        if event is None:
            refused += 1
        else:
            updates.append(event.update)
    return updates, refused


def _day(update: ProjectUpdate) -> date:
    return update.source_record_time.astimezone(BEIJING).date()


def facts(profile: str, updates: list[ProjectUpdate]) -> dict[Any, Any]:
    """A few fields per record, as the profile's file can carry them."""
    if profile == "fgw_ledger":
        return {(u.project_code, u.ledger_month): (u.annual_plan_fen, u.investment_month_fen, u.investment_ytd_fen) for u in updates}
    if profile == "zrzy_land_supply":
        return {u.project_code: (u.land_parcel.model_dump() if u.land_parcel else None, _day(u)) for u in updates}
    return {u.project_code: (u.budget_fen, u.committed_cost_fen, u.spent_cost_fen, u.government_funded, _day(u)) for u in updates}


def json_updates(feeds: Feeds, county: str) -> dict[str, list[ProjectUpdate]]:
    """The JSON batches' valid updates with a 项目代码, by the profile whose file carries them."""
    by: dict[str, list[ProjectUpdate]] = {name: [] for name in (*PROFILES, "registration")}
    for _, event in triage(county, feeds.items[county], as_of_utc(feeds.end)).events:
        u = event.update
        if u.project_code is None:
            continue
        kind = ("fgw_ledger" if u.ledger_month else "zrzy_land_supply" if u.land_parcel else
                "cz_payments" if u.budget_fen is not None else "registration")
        by[kind].append(u)
    return by


@pytest.mark.parametrize("profile", PROFILES)
def test_each_file_yields_its_planted_bad_rows_and_the_json_facts(written: Written, profile: str) -> None:
    feeds, bad_total = written.feeds, 0
    for county in feeds.items:
        info = written.manifest["sheets"][county][profile]
        updates, refused = parse(written.out / info["file"], profile, county, as_of_utc(feeds.end))
        assert refused == info["bad_rows"] == sum(info["typos"].values())
        assert len(updates) + refused == info["rows"]
        bad_total += refused
        expected = json_updates(feeds, county)
        assert facts(profile, updates) == facts(profile, expected[profile]) and updates
        if profile == "fgw_ledger":  # every monthly row repeats the project's registration facts
            registered = {u.project_code: (u.name, u.stage, u.nature, u.total_investment_fen, u.leader) for u in expected["registration"]}
            assert {u.project_code: (u.name, u.stage, u.nature, u.total_investment_fen, u.leader) for u in updates}.items() <= registered.items()
            assert all(u.source_record_time.astimezone(BEIJING).day >= 28 for u in updates)  # the ledger month's last day
    assert bad_total > 0  # seed 3 plants typos in every kind of file


def test_manifest_counts_every_planted_typo_in_json_and_once_in_the_sheets_unless_it_cannot_be_there(written: Written) -> None:
    manifest = written.manifest
    typos = sum(count for kind, count in manifest["planted_counts"].items() if kind.startswith("typo:"))
    in_sheets = manifest["formats"]["xlsx"]["bad_rows"] + manifest["formats"]["csv"]["bad_rows"]
    left_out = manifest["not_in_sheets"]
    assert manifest["formats"]["json"]["rejected"] == typos
    assert in_sheets == typos - left_out.get("local_id_typos", 0) - left_out.get("registration_typos_without_ledger_row", 0)
    assert set(manifest["formats"]["xlsx"]["typos"]) == {"bad_date", "bad_code", "negative_money", "unknown_stage"}


def test_the_files_look_like_the_bureaus_own(written: Written) -> None:
    county = next(iter(written.feeds.items))
    book = load_workbook(written.out / county / "fgw_ledger.xlsx")
    sheet = book.active
    assert "2025年1月" in sheet["A1"].value and "单位：万元" in [c.value for c in sheet[2]]
    assert "G3:I3" in {str(r) for r in sheet.merged_cells.ranges} and sheet["G3"].value == "投资完成情况（万元）"
    assert [sheet.cell(4, c).value for c in (7, 8, 9)] == ["年度计划投资", "本月完成投资", "累计完成投资"]
    assert sheet.cell(sheet.max_row, 1).value == "合计"
    land = load_workbook(written.out / county / "zrzy_land_supply.xlsx").active
    assert "供地面积（亩）" in [c.value for c in land[2]]
    text = (written.out / county / "cz_payments.csv").read_bytes().decode("gb18030")
    assert text.startswith("项目代码,") and "累计支付（元）" in text
    with pytest.raises(UnicodeDecodeError):
        (written.out / county / "cz_payments.csv").read_bytes().decode("utf-8")
    assert (wan(12_345_678_901), wan(5_000_000_000), yuan(123_456_789), yuan(-5), mu(8000), mu(1000)) == \
        (12345.678901, 5000, "1,234,567.89", "-0.05", 12, 1.5)


def test_formats_choose_the_files_and_unknown_formats_are_refused(tmp_path: Path) -> None:
    runner = CliRunner()
    only_json = runner.invoke(app, ["generate", "--counties", "1", "--projects", "3", "--months", "3", "--formats", "json",
                                    "--out", str(tmp_path / "a")])
    assert only_json.exit_code == 0, only_json.output
    assert list((tmp_path / "a").glob("*/*.json")) and not list((tmp_path / "a").glob("*/*.xlsx"))
    assert set(json.loads((tmp_path / "a" / "manifest.json").read_text("utf-8"))["formats"]) == {"json"}
    csv_only = runner.invoke(app, ["generate", "--counties", "1", "--projects", "3", "--months", "3", "--formats", "csv",
                                   "--out", str(tmp_path / "b")])
    assert csv_only.exit_code == 0 and [p.name for p in (tmp_path / "b").glob("*/*.*")] == ["cz_payments.csv"]
    refused = runner.invoke(app, ["generate", "--formats", "json,xls", "--out", str(tmp_path / "c")])
    assert refused.exit_code != 0 and not (tmp_path / "c").exists()


def test_every_typo_kind_in_every_file_is_a_row_intake_refuses(tmp_path: Path) -> None:
    feeds = generate(counties=2, projects=20, months=4, seed=1, mix=Mix(typos=0.4))
    manifest_path = tmp_path / "manifest.json"
    write(feeds, tmp_path, {}, ("xlsx", "csv"))
    manifest = json.loads(manifest_path.read_text("utf-8"))
    seen = set()
    for county, profiles in manifest["sheets"].items():
        for profile, info in profiles.items():
            _, refused = parse(tmp_path / info["file"], profile, county, as_of_utc(feeds.end))
            assert refused == info["bad_rows"]
            seen |= {(profile, kind) for kind in info["typos"]}
    assert seen == {(p, k) for p in PROFILES for k in ("bad_date", "bad_code", "negative_money", "unknown_stage")}
