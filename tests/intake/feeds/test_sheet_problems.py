"""存在问题 cells as problems: several in one cell, keyed so that the same problem next month is the same problem."""
from __future__ import annotations

import pytest

from services.intake.feeds.spreadsheet.problems import digest_key, reported, split

CODE = "2403-330106-04-01-000001"


@pytest.mark.parametrize(("cell", "problems"), [
    ("1.土地未交付；2.施工许可未办理", ["土地未交付", "施工许可未办理"]),
    ("主要问题：\n1、电力接入未到位\n2、资金缺口1.5亿元。", ["电力接入未到位", "资金缺口1.5亿元。"]),
    ("（1）规划调整（2）征迁尚有3户未签约", ["规划调整", "征迁尚有3户未签约"]),
    ("一、用地指标不足；二、环评未批复", ["用地指标不足", "环评未批复"]),
    ("①水电未通②道路未建", ["水电未通", "道路未建"]),
    ("2.5亿元资金未到位", ["2.5亿元资金未到位"]),  # an amount, not a number
    ("项目用地（三期）尚未摘牌", ["项目用地（三期）尚未摘牌"]),
    ("1. 土地\n2. 水电", ["土地", "水电"]),
])
def test_a_cell_listing_several_problems_is_several_problems_as_written(cell: str, problems: list[str]) -> None:
    assert split(cell) == problems


def test_the_same_words_next_month_give_the_same_key_whatever_their_number_and_spacing() -> None:
    november = reported(CODE, {"reported_problems.description": "1.土地未交付；2.施工许可未办理"}, "2026-11")
    december = reported(CODE, {"reported_problems.description": "1、施工许可未办理。\n2、电力 接入未到位"}, "2026-12")
    assert november[1]["key"] == december[0]["key"] and november[1]["month"] == "2026-11"
    assert len({p["key"] for p in [*november, *december]}) == 3
    assert digest_key(CODE, "土地未交付") != digest_key("2403-330106-04-01-000002", "土地未交付")  # another project's problem


def test_the_countys_own_number_is_the_key() -> None:
    one = reported(CODE, {"reported_problems.description": "土地未交付", "reported_problems.key": "WT-7",
                          "reported_problems.category": "用地"}, None)
    two = reported(CODE, {"reported_problems.description": "1.土地未交付；2.水电未通", "reported_problems.key": "WT-8"}, None)
    assert one == [{"key": "WT-7", "description": "土地未交付", "category": "用地"}]
    assert [p["key"] for p in two] == ["WT-8-1", "WT-8-2"]
