"""Cell normalisation: every date form, full-width digits, exact 万元/元 to fen, areas in 亩, blanks."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from services.intake.feeds.spreadsheet import normalize as n


@pytest.mark.parametrize("raw", [
    "2024年3月5日", "2024年03月05日", "2024年3月5号", "2024/3/5", "2024-03-05", "2024.3.5", "20240305", "2024-3-5 00:00:00",
    "２０２４年３月５日", "２０２４／３／５", " 2024 年 3 月 5 日 ", date(2024, 3, 5), datetime(2024, 3, 5, 9, 30), 45356,
])
def test_every_written_date_is_the_same_day(raw: object) -> None:
    assert n.day(n.clean(raw)) == date(2024, 3, 5)


def test_a_bare_month_is_its_last_day_unless_the_profile_says_first() -> None:
    assert n.day("2024-02") == date(2024, 2, 29)
    assert n.day("2024年3月") == date(2024, 3, 31)
    assert n.day("2024/3", month_day="first") == date(2024, 3, 1)


@pytest.mark.parametrize("raw", ["2024-02-30", "2024-13", "next spring", "2024年13月1日"])
def test_impossible_dates_are_refused_in_both_languages(raw: str) -> None:
    with pytest.raises(n.CellProblem) as caught:
        n.day(raw)
    assert caught.value.reason_zh and caught.value.reason_en


@pytest.mark.parametrize("raw", ["2024-03", "2024年3月", "202403", "2024/03/15", date(2024, 3, 1)])
def test_months(raw: object) -> None:
    assert n.month(raw) == "2024-03"


def test_full_width_digits_and_punctuation_are_folded() -> None:
    assert n.clean("２４０３－３３０１０６") == "2403-330106"
    assert n.code(n.clean(" ２４０３－３３０１０６－０４－０１－１２３４５６ ")) == "2403-330106-04-01-123456"
    assert n.money_fen(n.clean("１２．５"), "万元") == 12_500_000


@pytest.mark.parametrize(("raw", "unit", "fen"), [
    ("12000.5", "万元", 12_000_500_000), (12000.5, "万元", 12_000_500_000), ("0.000001", "万元", 1), (1, "万元", 1_000_000),
    ("1,234,567.89", "元", 123_456_789), ("¥100", "元", 10_000), ("12.5万元", "元", 12_500_000), ("300元", "万元", 30_000),
    (0.1 + 0.2, "万元", 300_000), (1234567.89, "元", 123_456_789), ("0", "元", 0),
])
def test_money_is_exact_in_fen(raw: object, unit: str, fen: int) -> None:
    assert n.money_fen(raw, unit) == fen


@pytest.mark.parametrize(("raw", "unit"), [("0.0000001", "万元"), ("1.001", "元"), ("-5", "元"), ("12万", "元"), ("abc", "万元"), (True, "元")])
def test_money_that_is_not_whole_fen_or_not_money_is_refused(raw: object, unit: str) -> None:
    with pytest.raises(n.CellProblem):
        n.money_fen(raw, unit)


def test_areas_in_whole_square_metres() -> None:
    assert n.area_m2("15", "亩") == 10_000
    assert n.area_m2("1", "亩") == 667  # 666.67 rounded half up
    assert n.area_m2("2.5", "公顷") == 25_000
    assert n.area_m2("1200.4平方米", "亩") == 1200
    assert n.area_m2(3000, "m2") == 3000


def test_percent_bool_int_and_blanks() -> None:
    assert n.percent("85%") == Decimal("0.85") and n.percent(85) == Decimal("0.85") and n.percent(0.85) == Decimal("0.85")
    assert n.boolean("是") is True and n.boolean("否") is False
    assert n.integer("12") == 12
    with pytest.raises(n.CellProblem):
        n.integer("1.5")
    assert [n.clean(v) for v in ("", "  ", "-", "—", "无", None)] == [None] * 6
    assert n.text(12345.0) == "12345" and n.text("a  b\n c") == "a b c"
