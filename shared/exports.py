"""Formula-safe cells for every spreadsheet and CSV Tuijin writes (error reports, list exports, bulletins).

A county's cell text ends up in files that people open in Excel or WPS. Text starting with `= + - @`
(or a tab or carriage return, which some importers skip before looking) would run as a formula there:
`=HYPERLINK(...)`, `=cmd|' /C calc'!A0`. XLSX cells are written as text cells, never formulas, so the
text stays exactly as written; CSV has no cell types, so such text gets a leading apostrophe (OWASP's
advice), which Excel shows as text. Numbers stay numbers in both.
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell.cell import Cell, WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet.worksheet import Worksheet

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A CSV cell that no spreadsheet evaluates: text starting with a trigger gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(TRIGGERS):
        return "'" + value
    return value


def csv_row(values: Iterable[Any]) -> list[Any]:
    return [csv_cell(value) for value in values]


def text_cell(sheet: Worksheet | WriteOnlyWorksheet, value: str) -> Cell | WriteOnlyCell:
    """A string cell typed as text: openpyxl would otherwise store text starting with "=" as a live formula."""
    cell = WriteOnlyCell(sheet, value) if isinstance(sheet, WriteOnlyWorksheet) else Cell(sheet, value=value)
    cell.data_type = "s"
    return cell


def xlsx_row(sheet: Worksheet | WriteOnlyWorksheet, values: Iterable[Any]) -> list[Any]:
    """A row for `sheet.append`: strings as text cells, everything else (numbers, dates, None) as it is."""
    return [text_cell(sheet, value) if isinstance(value, str) else value for value in values]
