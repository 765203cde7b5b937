"""The row-level error report a county downloads, fixes its file from, and uploads again: CSV (Excel-friendly BOM) or XLSX."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import IO

from openpyxl import Workbook

from services.intake.feeds.spreadsheet.mapping import Problem
from shared.exports import csv_row, xlsx_row

HEADERS = ("行号 Row", "列 Column", "值 Value", "原因", "Reason", "字段 Field")


def _line(problem: Problem) -> list[str | int]:
    return [problem.row, problem.column, problem.value, problem.reason_zh, problem.reason_en, problem.field]


def csv_part(problems: Iterable[Problem], first: bool) -> bytes:
    """A piece of the CSV; the first carries the UTF-8 BOM (so Excel on Chinese Windows reads it) and the header."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if first:
        writer.writerow(HEADERS)
    writer.writerows(csv_row(_line(problem)) for problem in problems)  # the county's cells: never a live formula
    return buffer.getvalue().encode("utf-8-sig" if first else "utf-8")


def write_csv(problems: Iterable[Problem], stream: IO[bytes]) -> None:
    stream.write(csv_part(problems, first=True))


class XlsxReport:
    """Write-only workbook: rows go to a temporary file as they are appended, not to memory, however long the report."""

    def __init__(self) -> None:
        self._book = Workbook(write_only=True)
        self._sheet = self._book.create_sheet("错误 Errors")
        self._sheet.freeze_panes = "A2"
        for letter, width in zip("ABCDEF", (10, 24, 24, 40, 48, 30), strict=True):
            self._sheet.column_dimensions[letter].width = width
        self._sheet.append(list(HEADERS))

    def append(self, problem: Problem) -> None:
        self._sheet.append(xlsx_row(self._sheet, _line(problem)))  # the county's cells: never a live formula

    def save(self, stream: IO[bytes]) -> None:
        self._book.save(stream)


def write_xlsx(problems: Iterable[Problem], stream: IO[bytes]) -> None:
    report = XlsxReport()
    for problem in problems:
        report.append(problem)
    report.save(stream)
