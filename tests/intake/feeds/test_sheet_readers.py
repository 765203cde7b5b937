"""Readers: XLSX streamed, CSV in UTF-8 (with or without BOM), GB18030, tabs; malformed files refused with a reason."""
from __future__ import annotations

import io
import zipfile

import pytest
from ledgers import PAY_HEADER, csv_bytes, fgw_row, fgw_xlsx, pay_row

from services.intake.feeds.spreadsheet.readers import NotASpreadsheet, read_rows


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_csv_in_every_encoding_counties_save(encoding: str) -> None:
    rows = list(read_rows(io.BytesIO(csv_bytes([pay_row(1)], encoding=encoding))))
    assert rows[0] == (1, PAY_HEADER)
    assert rows[1][0] == 2 and rows[1][1][1] == "第1号项目"


def test_tab_separated_and_multiline_cells_keep_row_numbers() -> None:
    data = "项目代码\t项目名称\n1\t\"两行\n名称\"\n2\tB\n".encode()
    assert [(number, values[1]) for number, values in read_rows(io.BytesIO(data))] == [(1, "项目名称"), (2, "两行\n名称"), (3, "B")]


def test_xlsx_rows_are_numbered_as_excel_shows_them() -> None:
    rows = read_rows(io.BytesIO(fgw_xlsx([fgw_row(1)])))
    numbered = {number: values for number, values in rows}
    assert numbered[3][1] == "项目代码" and numbered[5][1] == "2403-330106-04-01-000001"
    assert all(value is None for value in numbered[7])  # blank rows are yielded, so later numbers stay right


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty"), (b"   \n\n", "empty"), (b"\x00\x01\x02binary\x00", "not a spreadsheet"),
    ("项目代码,名称\n".encode("utf-16"), "not a spreadsheet"), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", ".xls"),
    (b"PK\x03\x04 broken zip", "XLSX"), (b"\x81\x30\x81", "encoding"),
])
def test_malformed_files_are_refused_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(NotASpreadsheet) as caught:
        list(read_rows(io.BytesIO(data)))
    assert reason in caught.value.reason_en and caught.value.reason_zh


def test_a_zip_that_is_not_a_workbook_is_refused() -> None:
    stream = io.BytesIO()
    with zipfile.ZipFile(stream, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(NotASpreadsheet):
        list(read_rows(io.BytesIO(stream.getvalue())))


def test_an_encoding_error_late_in_a_csv_names_the_row() -> None:
    data = ("项目代码,名称\n" + "a,b\n" * 20000).encode() + b"\xff\xfe,x\n"
    rows = read_rows(io.BytesIO(data))
    with pytest.raises(NotASpreadsheet) as caught:
        for _ in rows:
            pass
    assert "20002" in caught.value.reason_en
