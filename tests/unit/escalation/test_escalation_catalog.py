"""Rules as data: the catalog, the stamp on every finding, presets, and versioned policies (content, digest)."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from services.escalation.domain.catalog import SPECS, describe
from services.escalation.domain.facts import (
    ApprovalFact,
    CentralFundBatch,
    LedgerEntry,
    MilestoneFact,
    Parcel,
    ProjectFacts,
    SmePaymentFact,
)
from services.escalation.domain.findings import COLOURS
from services.escalation.domain.policy import Policy
from services.escalation.domain.rules import RULES, evaluate_all, reads_any
from services.escalation.policy_file import PolicyFileError, load_policy

CONFIG = Path(__file__).resolve().parents[3] / "config" / "policies"
D = date.fromisoformat

# Started, so it trips every rule but the approval lapse as of 2027-01-10 (UNSTARTED trips that one).
TROUBLED = ProjectFacts(
    project_id="p-9", name="临港装备制造基地", county_code="330106", stage="started", government_funded=True,
    leader="陈副县长", lead_department="县经信局", responsible_unit="临港装备公司", total_investment_fen=50_000_000_00,
    budget_fen=10_000_000, committed_cost_fen=13_000_000, annual_plan_fen=1_200_000,
    parcels=(Parcel(parcel_id="LG-1", agreed_start_date=D("2025-03-01")),),
    # October promised 5万元 for November (下月计划), and November did nothing.
    ledger=tuple(LedgerEntry(month=m, investment_fen=0, next_month_plan_fen=5_000_000 if m == "2026-10" else None)
                 for m in ("2026-09", "2026-10", "2026-11")),
    milestones=(MilestoneFact(name="开工", planned=D("2026-03-01"), actual=D("2026-05-01")),
                MilestoneFact(name="竣工", planned=D("2027-01-05"))),
    central_funds=(CentralFundBatch(batch_id="C-1", issued_on=D("2026-02-01"), amount_fen=1_000, paid_fen=0),),
    sme_payments=(SmePaymentFact(payment_id="S-1", accepted_on=D("2026-11-01"), amount_fen=5_000),),
    approval=ApprovalFact(kind="approved", approved_on=D("2024-06-01")),
    last_reported_on=D("2026-11-20"),
)
UNSTARTED = replace(TROUBLED, stage="signed", milestones=(), stats_start_date=None)


def test_every_registered_rule_is_in_the_catalog_and_the_other_way_round() -> None:
    assert [r.rule_id for r in RULES] == list(SPECS)
    for rule in RULES:
        spec = rule.spec
        assert rule.version == spec.version >= 1
        assert spec.source and spec.article and spec.confidence in ("national", "local")
        assert rule.inputs and all(isinstance(v, str) for v in spec.thresholds(Policy()).values())


def test_the_catalog_prints_the_thresholds_of_the_policy_in_effect() -> None:
    rows = {row["rule_id"]: row for row in describe(Policy(progress_red_points=Decimal("25")))}
    assert rows["R5.investment_progress"]["thresholds"]["progress_red_points"] == "25"
    assert rows["R7.approval_lapse"]["confidence"] == "national" and rows["R5.investment_progress"]["confidence"] == "local"
    json.dumps(rows, ensure_ascii=False)


def test_every_finding_records_version_colour_source_article_and_thresholds() -> None:
    # The ledger for December is missing too (due 2027-01-05), and the data is stale since 2026-12-21.
    found = [f for facts in (TROUBLED, UNSTARTED) for f in evaluate_all(facts, Policy(county_code="330106"), D("2027-01-10"))]
    assert {f.rule_id for f in found} == set(SPECS)
    for f in found:
        spec = SPECS[f.rule_id]
        assert f.rule_version == spec.version
        assert f.colour in COLOURS and f.evidence["colour"] == f.colour
        assert (f.evidence["rule_source"], f.evidence["rule_article"]) == (spec.source, spec.article)
        assert {k.removeprefix("threshold.") for k in f.evidence if k.startswith("threshold.")} == set(spec.thresholds(Policy()))
        assert f.summary.startswith("临港装备制造基地")


@pytest.mark.parametrize(
    ("paths", "read"),
    [
        (["ledger.2026-11.investment_fen"], True), (["ledger.2026-10.next_month_plan_fen"], True), (["ledger_month"], True), (["milestones.开工.actual"], True),
        (["central_funds.C-1.paid_fen"], True), (["sme_payments.S-1.paid_on"], True), (["approval.extended_until"], True),
        (["stats_enrolled_on"], True), (["stats_start_date"], True), (["annual_plan_fen"], True), (["stage"], True),
        (["township"], False), (["nature"], False),
    ],
)
def test_reads_any_knows_the_new_fact_paths(paths: list[str], read: bool) -> None:
    assert reads_any(paths) is read


def test_policy_content_is_json_and_the_digest_follows_every_setting() -> None:
    policy = Policy(county_code="330106")
    content = policy.content()
    assert json.loads(json.dumps(content, ensure_ascii=False)) == content
    assert (content["idle_fee_percent"], content["stalled_developed_fraction"], content["idle_warning_months"]) == ("20", "1/3", [9, 11])
    assert policy.digest() == Policy(county_code="330106").digest() and len(policy.digest()) == 64
    assert policy.digest() != replace(policy, progress_yellow_points=Decimal("11")).digest()
    assert policy.digest() != replace(policy, development_reform="区发改局").digest()


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    (tmp_path / "presets").mkdir()
    for name in ("default.toml", "presets/national.toml", "presets/yinchuan.toml"):
        (tmp_path / name).write_text((CONFIG / name).read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path


def test_a_county_chooses_the_yinchuan_preset_and_overrides_a_key(directory: Path) -> None:
    (directory / "640104.toml").write_text('preset = "yinchuan"\ncounty_name = "兴庆区"\n[stats_enrolment]\nred_months = 3\n',
                                           encoding="utf-8")
    policy = load_policy("640104", directory)
    assert (policy.preset, policy.milestone_red_after_months, policy.stats_enrolment_red_months) == ("yinchuan", 3, 3)
    assert load_policy("110101", directory).milestone_red_after_months == 0  # national: the case ladder climbs


def test_the_shipped_counties_stay_national() -> None:
    assert {load_policy(c, CONFIG).preset for c in ("330106", "330782", "110101")} == {"national"}


def test_the_cases_section_is_left_to_the_case_ladder(directory: Path) -> None:
    (directory / "330999.toml").write_text('[cases]\nl2_after_days = 15\nanything = "x"\n', encoding="utf-8")
    assert load_policy("330999", directory) == Policy(county_code="330999")


@pytest.mark.parametrize(
    ("file", "text", "message"),
    [
        ("330999.toml", 'preset = "yinchaun"\n', "330999.toml: preset: unknown preset 'yinchaun'"),
        ("330999.toml", 'preset = "../default"\n', "unknown preset '../default'"),
        ("presets/yinchuan.toml", '[investment_progress]\nred_point = "30"\n', "yinchuan.toml: unknown key 'investment_progress.red_point'"),
        ("presets/yinchuan.toml", 'county_name = "银川"\n', "yinchuan.toml: unknown key 'county_name' (not allowed in a preset)"),
        ("330999.toml", "[sme_payments]\ndays = 61\n", "sme_payment_days must be 1-60"),
        ("330999.toml", '[investment_progress]\nyellow_points = "40"\n', "above progress_red_points"),
        ("330999.toml", '[investment_progress]\nred_points = 30.5\n', "investment_progress.red_points"),
        ("330999.toml", '[ledger]\nreporting_stages = ["building"]\n', "unknown stages ['building']"),
        ("330999.toml", "[ledger]\ndue_day = 31\n", "ledger_due_day must be a day every month has"),
        ("330999.toml", "[approval]\nextension_max_months = 18\n", "the law allows one year"),
        ("330999.toml", '[milestones]\nwarning_days = "7"\n', "milestones.warning_days: expected int"),
        ("330999.toml", '[departments]\nstats_bureau = "统计局"\n', "unknown key 'departments.stats_bureau'"),
    ],
)
def test_mistakes_name_the_file_and_the_key(directory: Path, file: str, text: str, message: str) -> None:
    target = directory / file
    preset = file.startswith("presets/")
    target.write_text(text, encoding="utf-8")
    if preset:
        (directory / "330999.toml").write_text('preset = "yinchuan"\n', encoding="utf-8")
    with pytest.raises(PolicyFileError) as error:
        load_policy("330999", directory)
    assert message in str(error.value)


def test_new_departments_come_from_the_files(directory: Path) -> None:
    (directory / "330999.toml").write_text('[departments]\ndevelopment_reform = "区发改局"\nstatistics_bureau = "区统计局"\n',
                                           encoding="utf-8")
    policy = load_policy("330999", directory)
    assert (policy.development_reform, policy.statistics_bureau, policy.sme_authority) == ("区发改局", "区统计局", "工信局")


@pytest.mark.parametrize(
    ("as_of", "level", "colour"),
    [("2025-12-02", 1, "yellow"), ("2026-02-02", 2, "yellow"), ("2026-03-02", 3, "red"), ("2027-03-02", 4, "red")],
)
def test_idle_land_warnings_are_yellow_and_the_cases_red(as_of: str, level: int, colour: str) -> None:
    facts = replace(UNSTARTED, parcels=(Parcel(parcel_id="LG-1", agreed_start_date=D("2025-03-01")),))
    [f] = [f for f in evaluate_all(facts, Policy(), D(as_of)) if f.rule_id == "R1.idle_land"]
    assert (f.level, f.colour, f.evidence["colour"]) == (level, colour, colour)
