"""County policy files: defaults, county overrides, and refusal of mistakes with the key and file named."""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import pytest

from services.escalation.domain.policy import Policy
from services.escalation.policy_file import PolicyFileError, load_policy

CONFIG = Path(__file__).resolve().parents[3] / "config" / "policies"


def test_default_file_matches_the_domain_defaults() -> None:
    assert load_policy("110101", CONFIG) == Policy(county_code="110101")


def test_xihu_overrides_receiver_names_only() -> None:
    policy = load_policy("330106", CONFIG)
    assert (policy.county_name, policy.discipline_commission, policy.project_office) == ("西湖区", "区纪委监委", "区重点项目办")
    assert policy.overrun_case_percent == Decimal("20") and policy.idle_warning_months == (9, 11)


def test_yiwu_overrun_threshold_is_15pct_against_the_budget() -> None:
    policy = load_policy("330782", CONFIG)
    assert (policy.overrun_case_percent, policy.overrun_base, policy.county_code) == (Decimal("15"), "预算", "330782")
    assert policy.stalled_developed_fraction == Fraction(1, 3)


@pytest.fixture
def directory(tmp_path: Path) -> Path:
    (tmp_path / "default.toml").write_text((CONFIG / "default.toml").read_text(encoding="utf-8"), encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        pytest.param('polcy_version = 2\n', "unknown key 'polcy_version'", id="typo-top-level"),
        pytest.param('[idle_land]\nfee_month = 12\n', "unknown key 'idle_land.fee_month'", id="typo-in-section"),
        pytest.param('[budget]\ncase_percent = "15"\n', "unknown key 'budget'", id="unknown-section"),
        pytest.param('[budget_overrun]\ncase_percent = 15.5\n', "budget_overrun.case_percent", id="float-refused"),
        pytest.param('[budget_overrun]\ncase_percent = "abc"\n', "budget_overrun.case_percent", id="not-a-number"),
        pytest.param('[idle_land]\nfee_months = "12"\n', "idle_land.fee_months: expected int", id="wrong-type"),
        pytest.param('[idle_land]\nwarning_months = [9, 13]\n', "must rise strictly", id="ladder-out-of-order"),
        pytest.param('county_code = "330100"\n', "unknown key 'county_code'", id="county-code-comes-from-file-name"),
        pytest.param('[idle_land\n', "not valid TOML", id="broken-toml"),
    ],
)
def test_mistakes_are_refused_naming_key_and_file(directory: Path, text: str, message: str) -> None:
    (directory / "330999.toml").write_text(text, encoding="utf-8")
    with pytest.raises(PolicyFileError, match="330999") as error:
        load_policy("330999", directory)
    assert message in str(error.value)


def test_fractions_and_percents_are_read_exactly(directory: Path) -> None:
    (directory / "330999.toml").write_text(
        '[idle_land]\nstalled_developed_fraction = "2/5"\nfee_percent = "12.5"\n', encoding="utf-8")
    policy = load_policy("330999", directory)
    assert (policy.stalled_developed_fraction, policy.idle_fee_percent) == (Fraction(2, 5), Decimal("12.5"))


def test_a_missing_default_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_policy("330106", tmp_path)
