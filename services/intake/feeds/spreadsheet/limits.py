"""Bounds on what an uploaded file may make intake do, checked before and while it is read.

An XLSX file is a zip archive: a 1 MB file can inflate to gigabytes. Python's zipfile never inflates a
member past the size the archive's central directory declares (a member that lies is cut there and
fails its CRC check), so checking the declared sizes before openpyxl opens anything bounds the work.
openpyxl streams the sheet in read-only mode but loads the other parts (shared strings, styles) whole,
so those get a far smaller cap than the sheet itself.
"""
from __future__ import annotations

import zipfile
from collections.abc import Iterator
from typing import IO, Any

MAX_MEMBERS = 2_000
MAX_SHEET_BYTES = 256 * 1024 * 1024  # a worksheet is parsed as a stream: time, not memory
MAX_PART_BYTES = 32 * 1024 * 1024  # shared strings, styles, workbook: parsed whole
MAX_ARCHIVE_BYTES = 512 * 1024 * 1024
MAX_ROWS = 250_000
MAX_COLUMNS = 1_000
MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell


class NotASpreadsheet(ValueError):
    """The whole file is refused (unreadable, damaged, too big); the reason in Chinese and English."""

    def __init__(self, reason_zh: str, reason_en: str) -> None:
        super().__init__(reason_en)
        self.reason_zh, self.reason_en = reason_zh, reason_en


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB"


def check_archive(stream: IO[bytes]) -> None:
    """Refuse an XLSX whose parts would inflate past the caps, before any of it is parsed."""
    try:
        with zipfile.ZipFile(stream) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise NotASpreadsheet("XLSX 文件已损坏（压缩包不完整），请重新保存后上传", "the XLSX file is damaged (broken zip archive); save it again and re-upload") from None
    finally:
        stream.seek(0)
    if len(members) > MAX_MEMBERS:
        raise NotASpreadsheet(f"XLSX 文件包含的部件过多（超过 {MAX_MEMBERS} 个）", f"the XLSX file has more than {MAX_MEMBERS} parts")
    total = 0
    for member in members:
        sheet = member.filename.startswith("xl/worksheets/")
        cap = MAX_SHEET_BYTES if sheet else MAX_PART_BYTES
        if member.file_size > cap:
            raise NotASpreadsheet(f"XLSX 文件解压后过大（{member.filename} 超过 {_mb(cap)}），拒绝处理",
                              f"the XLSX file inflates too far ({member.filename} over {_mb(cap)}); refused")
        total += member.file_size
    if total > MAX_ARCHIVE_BYTES:
        raise NotASpreadsheet(f"XLSX 文件解压后过大（共超过 {_mb(MAX_ARCHIVE_BYTES)}），拒绝处理",
                          f"the XLSX file inflates to over {_mb(MAX_ARCHIVE_BYTES)} in all; refused")


def bounded(rows: Iterator[tuple[int, list[Any]]]) -> Iterator[tuple[int, list[Any]]]:
    """The rows, refusing the file at the first row past MAX_ROWS, wider than MAX_COLUMNS or with a cell too long."""
    for number, values in rows:
        if number > MAX_ROWS:
            raise NotASpreadsheet(f"文件行数超过 {MAX_ROWS} 行，请拆分后上传", f"the file has more than {MAX_ROWS} rows; split it")
        if len(values) > MAX_COLUMNS:
            raise NotASpreadsheet(f"第 {number} 行超过 {MAX_COLUMNS} 列", f"row {number} has more than {MAX_COLUMNS} columns")
        for index, value in enumerate(values):
            if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                raise NotASpreadsheet(f"第 {number} 行第 {index + 1} 列内容超过 {MAX_CELL_CHARS} 个字符",
                                  f"row {number}, column {index + 1} holds more than {MAX_CELL_CHARS} characters")
        yield number, values
