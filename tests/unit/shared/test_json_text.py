"""JSON columns' text reads back as what was written, including what only json.dumps can write."""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from pydantic import BaseModel

from shared.json_text import dumps, model_json


def test_a_row_reads_back_equal_with_chinese_kept_as_text() -> None:
    row = {"name": ["三墩污水处理厂扩建", "2026-03-01T01:00:00.000000Z"], "budget_fen": 10_000_000_000, "gov": True, "none": None}
    text = dumps(row)
    assert json.loads(text) == row
    assert "三墩" in text  # not \\u escapes: shorter rows, readable in the database


def test_a_lone_surrogate_is_escaped_as_json_dumps_would() -> None:
    row = {"x": "\ud800"}  # valid JSON ("\\ud800"), refused by UTF-8 encoders: kept for audit, never an error
    assert dumps(row) == json.dumps(row)
    assert json.loads(dumps(row)) == row


class _Named(BaseModel):
    name: str
    on: date
    budget: Decimal


def test_a_model_serialised_once_is_stored_as_its_dump_would_be() -> None:
    model = _Named(name="三墩污水处理厂扩建", on=date(2026, 3, 1), budget=Decimal("1.50"))
    assert dumps(model_json(model)) == dumps(model.model_dump(mode="json"))
    assert json.loads(dumps(model_json(model))) == {"name": "三墩污水处理厂扩建", "on": "2026-03-01", "budget": "1.50"}


def test_a_model_with_a_lone_surrogate_still_serialises() -> None:
    model = _Named(name="x\ud800", on=date(2026, 3, 1), budget=Decimal("1"))
    assert json.loads(dumps(model_json(model)))["name"] == "x\ud800"
