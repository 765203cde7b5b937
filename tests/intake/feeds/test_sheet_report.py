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


INJECTED = [Problem(7, "项目名称", '=HYPERLINK("http://evil.example","点击")', "格式不正确", "bad", "name"),
            Problem(8, "总投资", "+1+cmd|' /C calc'!A0", "不是数字", "not a number", "total_investment_fen"),
            Problem(9, "备注", "@SUM(1,1)", "r", "r", "meta.note"), Problem(10, "备注", "-2+3", "r", "r", "meta.note"),
            Problem(11, "备注", "\t=1+1", "r", "r", "meta.note")]


def test_csv_report_never_carries_a_live_formula() -> None:
    stream = io.BytesIO()
    write_csv(INJECTED, stream)
    values = [line[2] for line in csv.reader(io.StringIO(stream.getvalue().decode("utf-8-sig")))][1:]
    assert values == ["'" + problem.value for problem in INJECTED]


def test_xlsx_report_writes_formula_looking_cells_as_text() -> None:
    stream = io.BytesIO()
    write_xlsx(INJECTED, stream)
    sheet = load_workbook(io.BytesIO(stream.getvalue())).active
    cells = [row[2] for row in sheet.iter_rows(min_row=2)]
    assert [(cell.value, cell.data_type) for cell in cells] == [(problem.value, "s") for problem in INJECTED]
    assert [row[0].data_type for row in sheet.iter_rows(min_row=2)] == ["n"] * len(INJECTED)  # row numbers stay numbers
