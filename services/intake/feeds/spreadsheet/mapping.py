"""A profile applied to rows: find the (merged, multi-row) header, then turn each row into a ProjectUpdate-shaped dict."""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import chain
from typing import Any
from zoneinfo import ZoneInfo

from services.intake.feeds.spreadsheet import normalize as n
from services.intake.feeds.spreadsheet.profiles import Column, Profile
from services.intake.feeds.spreadsheet.readers import Row

BEIJING = ZoneInfo("Asia/Shanghai")
# A ledger dated by day or month is the state at the end of that working day (18:00 Beijing): stable, so re-uploads keep their ids.
RECORD_HOUR = time(18, 0)
HEADER_SEARCH_ROWS = 30
_UNIT = re.compile(r"[(\[]([^()\[\]]*)[)\]]\s*$")
_TITLE_MONTH = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月")
UNITS = {"万元": "万元", "元": "元", "亩": "亩", "公顷": "公顷", "m2": "m2", "平方米": "m2", "㎡": "m2", "m²": "m2"}


@dataclass(frozen=True)
class Problem:
    """One line of the error report."""

    row: int
    column: str
    value: str
    reason_zh: str
    reason_en: str
    field: str = ""


@dataclass(frozen=True)
class Placed:
    index: int
    spec: Column
    header: str
    unit: str | None


@dataclass
class Layout:
    header_row: int  # the last header row; data starts below it
    placed: list[Placed]
    file_values: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)  # missing columns: the whole file is refused, reported once
    ignored: list[str] = field(default_factory=list)  # headers of the file's columns no profile column takes
    first_data: list[Row] = field(default_factory=list)  # a row read as a possible header line that was data

    def data_rows(self, rest: Iterator[Row]) -> Iterator[Row]:
        """The data rows: any read while detecting the header's depth, then the rest of the file."""
        return chain(self.first_data, rest)


@dataclass
class Mapped:
    row: int
    item: dict[str, Any] | None  # None when a cell could not be read
    problems: list[Problem]
    cells: dict[str, str]  # the row as the county wrote it, by header
    key: str  # the record's identity from the raw cells, to match a later correction of a rejected row
    read: frozenset[str] = frozenset()  # the fields whose cells were read in this row


def squash(value: Any) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value or ""))).lower()


def _base_and_unit(header: str) -> tuple[str, str | None]:
    found = _UNIT.search(header)
    if not found:
        return header, None
    return header[: found.start()], UNITS.get(squash(found[1]).replace("²", "2"))


def _joined_headers(header_rows: list[list[Any]]) -> list[list[str]]:
    """Each column's header parts, top to bottom; an empty upper cell over a named column belongs to the merged group on its left."""
    width = max(len(row) for row in header_rows)
    grid = [[str(n.clean(value) or "") for value in row] + [""] * (width - len(row)) for row in header_rows]
    bottom = grid[-1]
    for upper in grid[:-1]:
        carry = ""
        for i, value in enumerate(upper):
            if value:
                carry = value
            elif bottom[i] and carry:
                upper[i] = carry
            else:
                carry = ""
    return [[grid[r][i] for r in range(len(grid)) if grid[r][i] and (r == 0 or grid[r][i] != grid[r - 1][i])] for i in range(width)]


_RECORD_LIKE = re.compile(r"\d{4}-\d{6}-|^\d+(\.\d+)?$")  # a 项目代码, a number: data, not a header line


def _header_line(values: list[Any]) -> bool:
    """A line under the header row is more header (a merged header's lower row) when it holds only words."""
    cells = [n.clean(value) for value in values]
    filled = [cell for cell in cells if cell is not None]
    return bool(filled) and all(isinstance(cell, str) and not _RECORD_LIKE.search(cell) for cell in filled)


def locate(profile: Profile, rows: Iterator[Row]) -> Layout:
    """Read up to and including the header; `Layout.data_rows(rows)` then gives the data rows.

    The header is up to `profile.header_rows` lines deep, but a file may have fewer (a one-line CSV export of
    a two-line ledger): a line below the first that holds a number or a 项目代码 is the first data row."""
    marker, above = squash(profile.header_contains), []
    for number, values in rows:
        if any(marker in squash(value) for value in values):
            header_rows, last, first_data = [values], number, []
            for _ in range(profile.header_rows - 1):
                line = next(rows, None)
                if line is None:
                    break
                if not _header_line(line[1]):
                    first_data = [line]
                    break
                header_rows.append(line[1])
                last = line[0]
            layout = _layout(profile, last, _joined_headers(header_rows), above)
            layout.first_data = first_data
            return layout
        above.append(values)
        if number >= HEADER_SEARCH_ROWS:
            break
    problem = Problem(0, profile.header_contains, "", f"找不到表头（应有“{profile.header_contains}”列）",
                      f"no header row found (a column '{profile.header_contains}' is expected)")
    return Layout(0, [], problems=[problem])


def _layout(profile: Profile, header_row: int, parts: list[list[str]], above: list[list[Any]]) -> Layout:
    placed, used = [], set()
    for spec in profile.columns:
        wanted = {squash(_base_and_unit(alias)[0]) for alias in spec.headers}
        for i, column in enumerate(parts):
            if i in used or not column:
                continue
            bases = {squash(_base_and_unit(part)[0]) for part in column} | {squash(_base_and_unit("/".join(column))[0])}
            if wanted & bases:
                units = [unit for unit in (_base_and_unit(part)[1] for part in column) if unit]
                placed.append(Placed(i, spec, "/".join(column), units[-1] if units else spec.unit))
                used.add(i)
                break
    layout = Layout(header_row, placed, ignored=["/".join(column) for i, column in enumerate(parts) if column and i not in used])
    found = {p.spec.field for p in placed}
    needed = [spec for spec in profile.columns if spec.field not in found and (spec.required or spec.field in profile.record_id)]
    for spec in needed:
        layout.problems.append(Problem(header_row, spec.headers[0], "", f"缺少必需的列“{spec.headers[0]}”",
                                       f"required column '{spec.headers[0]}' is missing", spec.field))
    if profile.title_month:
        title = " ".join(squash(value) for row in above for value in row)
        if found_month := _TITLE_MONTH.search(title):
            layout.file_values[profile.title_month] = f"{int(found_month[1]):04d}-{int(found_month[2]):02d}"
    return layout


def convert(spec: Column, unit: str | None, value: Any) -> Any:
    kinds = {
        "text": n.text, "code": n.code, "month": n.month, "bool": n.boolean, "int": n.integer, "percent": n.percent,
        "money": lambda v: n.money_fen(v, unit or "万元"), "area": lambda v: n.area_m2(v, unit or "m2"),
        "date": lambda v: n.day(v, spec.month_day).isoformat(),
    }
    if spec.kind != "enum":
        return kinds[spec.kind](value)
    wanted = squash(n.text(value))
    for label, result in spec.values.items():
        if squash(label) == wanted:
            return result
    allowed = "、".join(spec.values)
    raise n.CellProblem(f"取值应为：{allowed}", f"must be one of: {allowed}")


def record_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=BEIJING)
    day = n.day(value) if not isinstance(value, date) else value
    return datetime.combine(day, RECORD_HOUR, BEIJING)
