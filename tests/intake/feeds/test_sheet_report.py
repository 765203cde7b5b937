"""The downloadable error report: CSV with a BOM for Excel, XLSX, both with row, column, value and both reasons."""
from __future__ import annotations

import csv
import io

from openpyxl import load_workbook

from services.intake.feeds.spreadsheet.mapping import Problem
from services.intake.feeds.spreadsheet.report import HEADERS, csv_part, write_csv, write_xlsx

PROBLEMS = [Problem(5, "总投资(万元)", "一万二", "不是数字", "not a number", "total_investment_fen"),
            Problem(9, "项目代码", "", "记录标识列不能为空", "the record's identifying cell is empty", "project_code")]


def test_csv_report_opens_in_excel_and_reads_back() -> None:
    stream = io.BytesIO()
    write_csv(PROBLEMS, stream)
    data = stream.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(lines[0]) == HEADERS and lines[1] == ["5", "总投资(万元)", "一万二", "不是数字", "not a number", "total_investment_fen"]
    assert not csv_part(PROBLEMS, first=False).startswith(b"\xef\xbb\xbf")  # later pieces of a stream carry no second BOM


def test_xlsx_report() -> None:
    stream = io.BytesIO()
    write_xlsx(PROBLEMS, stream)
    sheet = load_workbook(io.BytesIO(stream.getvalue())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == HEADERS and rows[2][:2] == (9, "项目代码") and rows[2][4] == "the record's identifying cell is empty"
