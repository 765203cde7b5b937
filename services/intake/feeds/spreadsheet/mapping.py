"""A profile applied to rows: find the (merged, multi-row) header, then turn each row into a ProjectUpdate-shaped dict."""
from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import chain
from typing import Any
from zoneinfo import ZoneInfo

from services.intake.feeds.spreadsheet import headers as h
from services.intake.feeds.spreadsheet import normalize as n
from services.intake.feeds.spreadsheet.headers import squash
from services.intake.feeds.spreadsheet.profiles import PROBLEM_KEY, Column, Profile
from services.intake.feeds.spreadsheet.readers import Row

BEIJING = ZoneInfo("Asia/Shanghai")
# A ledger dated by day or month is the state at the end of that working day (18:00 Beijing): stable, so re-uploads keep their ids.
RECORD_HOUR = time(18, 0)
HEADER_SEARCH_ROWS = 30
IGNORED_UNKNOWN = "模板中没有此列，未导入 / the profile has no such column; not imported"
IGNORED_EARLIER = "同一数据的较早月份，已取“{later}”，此列未导入 / an earlier month of the same figure ('{later}' was taken); not imported"


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
    month: tuple[int | None, int] | None = None  # the month the header names (`2026年1-11月完成投资`), year if it says
    year: int | None = None  # the year the header names


@dataclass
class Layout:
    header_row: int  # the last header row; data starts below it
    placed: list[Placed]
    file_values: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)  # missing columns: the whole file is refused, reported once
    ignored: dict[str, str] = field(default_factory=dict)  # header of each column no profile column takes → why
    first_data: list[Row] = field(default_factory=list)  # a row read as a possible header line that was data
    warnings: list[dict[str, Any]] = field(default_factory=list)  # doubts about the whole file, for the job report
    # A month a header names without its year (`1-11月完成投资`) and no line above dates: field → month; the upload's as_of dates it
    yearless: dict[str, int] = field(default_factory=dict)
    carried: dict[int, Any] = field(default_factory=dict)  # fill-down columns: the last cell seen, by column index

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


def _joined_headers(header_rows: list[list[Any]]) -> list[list[str]]:
    """Each column's header parts, top to bottom; an empty upper cell over a named column belongs to the merged group on its left."""
    width = max(len(row) for row in header_rows)
    grid = [[h.label(str(n.clean(value) or "")) for value in row] + [""] * (width - len(row)) for row in header_rows]
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
    markers, above = [squash(marker) for marker in (profile.header_contains, *profile.header_also)], []
    for number, values in rows:
        cells = [squash(value) for value in values if n.clean(value) is not None]
        if len(cells) >= 2 and any(marker in cell for cell in cells for marker in markers):
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
    names = "”或“".join((profile.header_contains, *profile.header_also))
    problem = Problem(0, profile.header_contains, "", f"找不到表头（应有“{names}”列）",
                      f"no header row found (a column '{profile.header_contains}' is expected)")
    return Layout(0, [], problems=[problem])


def _place(profile: Profile, parts: list[list[str]], units: dict[str, str]) -> tuple[list[Placed], dict[str, str]]:
    """Each profile column on the file column named like it; of several by pattern (1-10月, 1-11月) the latest month.
    Returns the placed columns and, for every other column, why it is ignored."""
    placed: list[Placed] = []
    used: set[int] = set()
    earlier: dict[str, str] = {}
    for spec in profile.columns:
        found = [(i, m) for i, column in enumerate(parts) if i not in used and column and (m := h.match(spec, column))]
        if not found:
            continue
        exact = [(i, m) for i, m in found if m.exact]
        i, chosen = exact[0] if exact else max(found, key=lambda c: (c[1].order(), -c[0]))
        header = "/".join(parts[i])
        for j, _ in [] if exact else [c for c in found if c[0] != i]:
            earlier["/".join(parts[j])] = IGNORED_EARLIER.format(later=header)
            used.add(j)
        written = [unit for unit in (h.base_and_unit(part)[1] for part in parts[i]) if unit]
        unit = written[-1] if written else units.get(spec.kind, spec.unit)
        placed.append(Placed(i, spec, header, unit, (chosen.year, chosen.month) if chosen.month else None, chosen.year))
        used.add(i)
    known = {h.key(h.base_and_unit(alias)[0]): ignore.why for ignore in profile.ignored for alias in ignore.headers}

    def why(column: list[str]) -> str:
        names = (h.key(h.base_and_unit(name)[0]) for name in ("/".join(column), column[-1]))
        return next((known[name] for name in names if name in known), IGNORED_UNKNOWN)
    return placed, {**earlier, **{"/".join(column): why(column) for i, column in enumerate(parts) if column and i not in used}}


def _file_months(profile: Profile, layout: Layout, above: h.Above) -> None:
    """The ledger month for the whole file: a month the headers name, else the cut-off, title or filing date above."""
    if profile.title_month and (month := above.ledger_month()):
        layout.file_values[profile.title_month] = f"{month[0]:04d}-{month[1]:02d}"
    for p in layout.placed:
        if p.month is None or p.spec.month_field is None:
            continue
        year = p.month[0] or h.year_for(p.month[1], above.ledger_month()) or above.title_year
        if year is None:
            layout.yearless[p.spec.month_field] = p.month[1]
            continue
        named, before = f"{year:04d}-{p.month[1]:02d}", layout.file_values.get(p.spec.month_field)
        if before is not None and before != named:
            layout.warnings.append({"column": p.header, "field": p.spec.month_field, "message":
                                    f"表头“{p.header}”的月份与表上日期（{before}）不一致，按表头月份 {named} 导入 / "
                                    f"the month in '{p.header}' differs from the date above the table ({before}); {named} was used"})
        layout.file_values[p.spec.month_field] = named


def _layout(profile: Profile, header_row: int, parts: list[list[str]], above_rows: list[list[Any]]) -> Layout:
    above = h.read_above(above_rows)
    placed, ignored = _place(profile, parts, above.units)
    layout = Layout(header_row, placed, ignored=ignored)
    _file_months(profile, layout, above)
    found = {p.spec.field for p in placed} | set(layout.file_values)
    for alternatives in profile.record_id:
        if not set(alternatives) & found and PROBLEM_KEY not in alternatives:
            spec = profile.column_for(alternatives[0])
            name = spec.headers[0] if spec and spec.headers else alternatives[0]
            layout.problems.append(Problem(header_row, name, "", f"缺少必需的列“{name}”", f"required column '{name}' is missing",
                                           alternatives[0]))
    for spec in profile.columns:
        if spec.required and spec.field not in found and not any(spec.field in part for part in profile.record_id):
            name = spec.headers[0] if spec.headers else spec.field
            layout.problems.append(Problem(header_row, name, "", f"缺少必需的列“{name}”", f"required column '{name}' is missing", spec.field))
    return layout


def convert(spec: Column, unit: str | None, value: Any) -> Any:
    kinds = {
        "text": n.text, "prose": n.prose, "code": n.code, "month": n.month, "bool": n.boolean, "int": n.integer, "percent": n.percent,
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
