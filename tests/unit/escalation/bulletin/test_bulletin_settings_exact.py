"""The [bulletin] settings loader and the exact percentage strings, at their boundaries."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from services.escalation.bulletin.exact import percent_text, points_text
from services.escalation.bulletin.settings import BulletinSettingsError, load_bulletin_settings


@pytest.mark.parametrize(("value", "text"), [
    (Fraction(2, 3), "66.7"), (Fraction(1, 3), "33.3"), (Fraction(1, 2000), "0.1"), (Fraction(1, 2001), "0.0"),
    (Fraction(0), "0.0"), (Fraction(1), "100.0"), (None, None),
])
def test_percent_rounds_half_up(value: Fraction | None, text: str | None) -> None:
    assert percent_text(value) == text


def test_negative_points_keep_their_sign() -> None:
    assert (points_text(Fraction(-1, 20)), points_text(Fraction(-1, 30))) == ("-0.1", "0.0")


def test_settings_default_then_county(tmp_path: Path) -> None:
    (tmp_path / "default.toml").write_text('[bulletin]\nstart_rate_target = "70"\nranking_size = 2\n', encoding="utf-8")
    (tmp_path / "330106.toml").write_text('county_name = "西湖区"\n[bulletin]\nstart_rate_target = "62.5"\n', encoding="utf-8")
    settings = load_bulletin_settings("330106", tmp_path)
    assert (settings.start_rate_target, settings.ranking_size) == (Fraction(125, 2), 2)
    assert load_bulletin_settings("330782", tmp_path).start_rate_target == 70


@pytest.mark.parametrize("line", ["start_rate_target = 70.0", "unknown = 1", "ranking_size = \"3\"", 'behind_yellow_points = "40"'])
def test_settings_refuse_floats_typos_and_disordered_bands(tmp_path: Path, line: str) -> None:
    (tmp_path / "default.toml").write_text(f"[bulletin]\n{line}\n", encoding="utf-8")
    with pytest.raises(BulletinSettingsError):
        load_bulletin_settings("330106", tmp_path)
