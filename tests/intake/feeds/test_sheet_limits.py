"""Hostile and broken files are refused with a reason before (or while) they are parsed, never half-read in silence."""
from __future__ import annotations

import io

import pytest
from hostile import broken_sheet_xml, far_down_row_xlsx, huge_cell_xlsx, truncated_xlsx, zip_bomb
from ledgers import csv_bytes, pay_row

from services.intake.feeds.spreadsheet import limits
from services.intake.feeds.spreadsheet.readers import NotASpreadsheet, read_rows


@pytest.mark.parametrize(("build", "reason_en", "reason_zh"), [
    (lambda: zip_bomb(300 * 1024 * 1024), "inflates too far", "解压后过大"),
    (truncated_xlsx, "damaged", "已损坏"),
    (broken_sheet_xml, "damaged", "已损坏"),
    (lambda: broken_sheet_xml(good_rows=0), "damaged", "已损坏"),
    (huge_cell_xlsx, "more than 32767 characters", "超过 32767 个字符"),
    (far_down_row_xlsx, "more than 250000 rows", "拆分"),
])
def test_hostile_xlsx_is_refused_with_a_reason(build, reason_en: str, reason_zh: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(NotASpreadsheet) as caught:
        for _ in read_rows(io.BytesIO(build())):
            pass
    assert reason_en in caught.value.reason_en and reason_zh in caught.value.reason_zh


def test_the_whole_archive_is_capped_as_well_as_each_part(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_ARCHIVE_BYTES", 1024)
    with pytest.raises(NotASpreadsheet) as caught:
        read_rows(io.BytesIO(zip_bomb(0)))
    assert "in all" in caught.value.reason_en


def test_a_csv_cell_past_excels_limit_is_refused_and_normal_ones_pass() -> None:
    rows = list(read_rows(io.BytesIO(csv_bytes([pay_row(1)]))))
    assert len(rows) == 2
    with pytest.raises(NotASpreadsheet):
        list(read_rows(io.BytesIO(("项目代码,名称\n1," + "长" * 40_000 + "\n").encode())))
