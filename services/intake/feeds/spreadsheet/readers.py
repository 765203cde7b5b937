"""Rows of an uploaded file, streamed: XLSX through openpyxl's read-only parser, CSV in UTF-8 (BOM or not) or GB18030."""
from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from typing import IO, Any

from openpyxl import load_workbook

from services.intake.feeds.spreadsheet.limits import NotASpreadsheet, bounded, check_archive

__all__ = ["NotASpreadsheet", "read_rows"]

SNIFF_BYTES = 64 * 1024
XLSX_MAGIC, XLS_MAGIC = b"PK\x03\x04", b"\xd0\xcf\x11\xe0"
Row = tuple[int, list[Any]]  # (row number as the county sees it, cell values)


DAMAGED_ZH = "XLSX 文件已损坏，无法读取（请在 Excel 中打开并另存为 .xlsx 后重新上传）"


def detect_encoding(head: bytes) -> str:
    """utf-8-sig when a BOM or valid UTF-8 (Excel's "CSV UTF-8"), else GB18030 (Excel's default on Chinese Windows)."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in head:
        raise NotASpreadsheet("不是表格文件（请上传 XLSX 或 CSV）", "not a spreadsheet (upload XLSX or CSV)")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)  # a cut multibyte tail is fine
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    try:
        codecs.getincrementaldecoder("gb18030")().decode(head, final=False)
        return "gb18030"
    except UnicodeDecodeError:
        raise NotASpreadsheet("无法识别的文字编码（请存为 UTF-8 或 GBK）", "unknown text encoding (save as UTF-8 or GBK)") from None


def read_rows(stream: IO[bytes]) -> Iterator[Row]:
    """Every row, numbered from 1, blank ones included (the numbers must match what the county sees)."""
    head = stream.read(SNIFF_BYTES)
    stream.seek(0)
    if not head.strip():
        raise NotASpreadsheet("文件为空", "the file is empty")
    if head.startswith(XLS_MAGIC):
        raise NotASpreadsheet("不支持旧版 .xls，请另存为 .xlsx", "old .xls is not supported; save as .xlsx")
    if head.startswith(XLSX_MAGIC):
        check_archive(stream)
        return bounded(_xlsx_rows(stream))
    return bounded(_csv_rows(stream, detect_encoding(head), head))


def _xlsx_rows(stream: IO[bytes]) -> Iterator[Row]:
    try:
        book = load_workbook(stream, read_only=True, data_only=True)  # cached formula values, not formulas
    except Exception as error:  # zip, XML and openpyxl's own errors all mean the same to the county
        raise NotASpreadsheet(DAMAGED_ZH, f"the XLSX file is damaged or not an XLSX file ({type(error).__name__})") from None
    sheet = book.worksheets[0]
    sheet.reset_dimensions()  # some exporters write a wrong A1:A1 dimension; read what is there

    def rows() -> Iterator[Row]:
        try:
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, list(values)
        except Exception as error:  # broken sheet XML, a cut or lying zip member (bad CRC), a bad cell type
            raise NotASpreadsheet(DAMAGED_ZH, f"the XLSX file is damaged: its sheet cannot be read ({type(error).__name__})") from None
        finally:
            book.close()

    return rows()


def _csv_rows(stream: IO[bytes], encoding: str, head: bytes) -> Iterator[Row]:
    sample = head.decode(encoding, errors="ignore")
    try:
        dialect: Any = csv.Sniffer().sniff(sample[:8192], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    number = 0

    def lines() -> Iterator[str]:
        # decoded line by line (b"\n" is never part of a UTF-8 or GB18030 character), so an error names its exact row
        for line in stream:
            yield line.decode(encoding)

    def rows() -> Iterator[Row]:
        nonlocal number
        try:
            # numbered by record, not by line: a quoted cell may span lines, and Excel shows one row per record
            for number, values in enumerate(csv.reader(lines(), dialect), start=1):  # noqa: B007 (read in the handler)
                yield number, list(values)
        except UnicodeDecodeError:
            raise NotASpreadsheet(f"第 {number + 1} 行起文字编码错误", f"encoding error from row {number + 1}") from None
        except csv.Error as error:
            raise NotASpreadsheet(f"CSV 格式错误：{error}", f"malformed CSV: {error}") from None

    return rows()
