"""The bulletin as a workbook (openpyxl): one sheet per section, numbers stored as numbers."""
from __future__ import annotations

import io
import re

from openpyxl import Workbook
from openpyxl.styles import Font

from services.escalation.bulletin.model import BulletinFigures
from services.escalation.bulletin.sections import sections
from shared.exports import xlsx_row

_NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")


def sheet_name(number: int, title: str) -> str:
    return f"{number}.{_NOT_IN_SHEET_NAMES.sub('-', title)}"[:31]


def render_xlsx(figures: BulletinFigures, revision: int = 1) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for number, section in enumerate(sections(figures), 1):
        sheet = book.create_sheet(sheet_name(number, section.title))
        sheet.append([f"{figures.title}（截至{figures.as_of.isoformat()}，第{revision}版）"])
        sheet.append(list(section.headers))
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        for row in section.rows:
            sheet.append(xlsx_row(sheet, row))  # project and unit names come from counties: text, never a formula
        if section.note:
            sheet.append([])
            sheet.append(xlsx_row(sheet, [section.note]))
        for column, header in zip(sheet.iter_cols(min_row=2, max_row=2), section.headers, strict=True):
            sheet.column_dimensions[column[0].column_letter].width = max(10, 2 * len(header) + 2)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
