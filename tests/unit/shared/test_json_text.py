"""JSON columns' text reads back as what was written, including what only json.dumps can write."""
from __future__ import annotations

import json

from shared.json_text import dumps


def test_a_row_reads_back_equal_with_chinese_kept_as_text() -> None:
    row = {"name": ["三墩污水处理厂扩建", "2026-03-01T01:00:00.000000Z"], "budget_fen": 10_000_000_000, "gov": True, "none": None}
    text = dumps(row)
    assert json.loads(text) == row
    assert "三墩" in text  # not \\u escapes: shorter rows, readable in the database


def test_a_lone_surrogate_is_escaped_as_json_dumps_would() -> None:
    row = {"x": "\ud800"}  # valid JSON ("\\ud800"), refused by UTF-8 encoders: kept for audit, never an error
    assert dumps(row) == json.dumps(row)
    assert json.loads(dumps(row)) == row
