"""Hostile and broken files, built here: a zip bomb, a cut archive, broken sheet XML, a huge cell, a far-down row."""
from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

from ledgers import fgw_row, fgw_xlsx
from openpyxl import load_workbook

SHEET = "xl/worksheets/sheet1.xml"
SHEET_OPEN = (b'<?xml version="1.0" encoding="UTF-8"?>'
              b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
SHEET_CLOSE = b"</sheetData></worksheet>"


def _rewrite(content: bytes, replace: dict[str, Callable[[zipfile.ZipFile, zipfile.ZipInfo], None]]) -> bytes:
    """A copy of the workbook with some members written by `replace[name](archive_out, info)`."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename in replace:
                replace[info.filename](target, info)
            else:
                target.writestr(info, source.read(info.filename))
    return out.getvalue()


def zip_bomb(inflated: int = 1024**3) -> bytes:
    """A real workbook whose sheet inflates to `inflated` bytes of blank XML (~1 MB on disk for 1 GiB)."""
    def bomb(target: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        piece = b" " * (1024 * 1024)
        member = zipfile.ZipInfo(info.filename)
        member.compress_type = zipfile.ZIP_DEFLATED
        with target.open(member, "w", force_zip64=True) as sheet:
            sheet.write(SHEET_OPEN)
            for _ in range(inflated // len(piece)):
                sheet.write(piece)
            sheet.write(SHEET_CLOSE)
    return _rewrite(fgw_xlsx([fgw_row(1)]), {SHEET: bomb})


def truncated_xlsx() -> bytes:
    """The first half of a good workbook, as a broken download or a full disk leaves it."""
    content = fgw_xlsx([fgw_row(i) for i in range(1, 200)])
    return content[: len(content) // 2]


def broken_sheet_xml(good_rows: int = 3000) -> bytes:
    """A sound archive whose sheet XML stops in the middle of a row, after `good_rows` good ones."""
    def broken(target: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        rows = b"".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>'.encode() for n in range(1, good_rows + 1))
        target.writestr(info.filename, SHEET_OPEN + rows + f'<row r="{good_rows + 1}"><c r="A1" t="inlineStr"><is><t>项目'.encode())
    return _rewrite(fgw_xlsx([fgw_row(1)]), {SHEET: broken})


def huge_cell_xlsx(chars: int = 5_000_000) -> bytes:
    """One cell of `chars` characters, as an inline string in the sheet itself."""
    def huge(target: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        cell = b'<row r="1"><c r="A1" t="inlineStr"><is><t>' + b"A" * chars + b"</t></is></c></row>"
        target.writestr(info.filename, SHEET_OPEN + cell + SHEET_CLOSE)
    return _rewrite(fgw_xlsx([fgw_row(1)]), {SHEET: huge})


def far_down_row_xlsx(row: int = 1_048_576) -> bytes:
    """A good ledger and then one cell in Excel's last row: a million empty rows in between."""
    book = load_workbook(io.BytesIO(fgw_xlsx([fgw_row(1)])))
    book.active.cell(row=row, column=1, value="y")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
