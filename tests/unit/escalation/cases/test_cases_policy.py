"""The [cases] section of the policy files: defaults, county overrides, and refusals that name the key."""
from __future__ import annotations

from pathlib import Path

import pytest

from services.escalation.cases.policy import CasePolicy, CasePolicyError, load_case_policy

ROOT = Path(__file__).resolve().parents[4]


def write(directory: Path, name: str, text: str) -> None:
    (directory / name).write_text(text, encoding="utf-8")


def test_the_shipped_files_load_for_every_county() -> None:
    for county in ("330106", "330782", "110101"):
        assert load_case_policy(county, ROOT / "config" / "policies").reply_workdays >= 1


def test_a_county_file_overrides_the_default_section(tmp_path: Path) -> None:
    write(tmp_path, "default.toml", "policy_version = 1\n[cases]\nreply_workdays = 5\nl2_after_days = 15\n")
    write(tmp_path, "330106.toml", "[cases]\nreply_workdays = 3\n")
    county, other = load_case_policy("330106", tmp_path), load_case_policy("330782", tmp_path)
    assert (county.reply_workdays, county.l2_after_days, other.reply_workdays) == (3, 15, 5)
    assert load_case_policy("330106", tmp_path / "missing") == CasePolicy()


@pytest.mark.parametrize(("section", "message"), [
    ("reply_days = 5", "unknown key cases.'reply_days'"),
    ("reply_workdays = 0", "reply_workdays must be a whole number"),
    ("reply_workdays = true", "reply_workdays must be a whole number"),
    ("reply_workdays = \"5\"", "reply_workdays must be a whole number"),
    ("organization_department = \"\"", "organization_department must be a non-empty string"),
])
def test_a_bad_section_is_refused_with_its_key(tmp_path: Path, section: str, message: str) -> None:
    write(tmp_path, "default.toml", f"[cases]\n{section}\n")
    with pytest.raises(CasePolicyError, match=message.replace("(", r"\(").replace("'", "'")):
        load_case_policy("330106", tmp_path)
