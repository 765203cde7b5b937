"""Header cells as counties write them: names with units (`1-3月完成投资（万元）`, `总投资万元`), line breaks and spaces
inside, a month in the name (`2026年1-11月完成投资`), and the lines above the header (title, 截至/填报日期, 单位：万元)."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from services.intake.feeds.spreadsheet.profiles import Column

_UNIT = re.compile(r"[(\[]([^()\[\]]*)[)\]]\s*$")
UNITS = {"亿元": "亿元", "万元": "万元", "元": "元", "亩": "亩", "公顷": "公顷", "m2": "m2", "平方米": "m2", "㎡": "m2", "m²": "m2"}
UNIT_KINDS = {"亿元": "money", "万元": "money", "元": "money", "亩": "area", "公顷": "area", "m2": "area"}
_SUFFIX_UNITS = ("亿元", "万元", "平方米", "公顷", "亩", "m2")  # a unit typed after the name without brackets: 总投资万元
_TITLE_MONTH = re.compile(r"(\d{4})年(\d{1,2})月")
_TITLE_YEAR = re.compile(r"(?<!\d)(20\d{2})年")
# The ledger's date on a line above the header: 截至2026年11月30日 (the cut-off) or 填报日期：2026年11月30日 (the day filed).
_DATE = r"[:：]?(\d{4})[年./-](\d{1,2})(?:[月./-](\d{1,2})日?|月)?"
_CUTOFF = re.compile(r"(?:截至|截止到|截止)(?:日期|时间)?" + _DATE)
_FILED = re.compile(r"(?:填报|填表|报送|制表)(?:日期|时间)" + _DATE)
_FILE_UNIT = re.compile(r"单位[:：](亿元|万元|元|亩|公顷|平方米|m2)")  # "单位：万元" above the table
_RANGE_DASH = re.compile(r"(?<=[\d月])(?:[—–~〜]|至|到)(?=\d)")


def squash(value: Any) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value or ""))).lower()


def key(header: str) -> str:
    """What header names are compared as: NFKC, no spaces or line breaks, lower case, `1—11月`/`1至11月` as `1-11月`."""
    return _RANGE_DASH.sub("-", squash(header))


def _unit(text: str) -> str | None:
    return UNITS.get(squash(text).replace("²", "2").removeprefix("单位:"))


def base_and_unit(header: str) -> tuple[str, str | None]:
    """`1-3月完成投资(万元)` → (`1-3月完成投资`, 万元); also `总投资万元`, `面积(m²)`, `金额（单位：元）`."""
    found = _UNIT.search(header)
    if found:  # a bracket closing the header is its unit, or a note (不含地价税费) the name is matched without
        return header[: found.start()], _unit(found[1])
    squashed = squash(header)
    suffix = next((unit for unit in _SUFFIX_UNITS if squashed.endswith(unit) and len(squashed) > len(unit)), None)
    return (squashed[: -len(suffix)], UNITS[suffix]) if suffix else (header, None)


def label(text: str) -> str:
    """A header as the report names it: line breaks and alignment spaces inside Chinese words removed."""
    def space(found: re.Match[str]) -> str:
        before, after = text[found.start() - 1: found.start()], text[found.end(): found.end() + 1]
        return " " if before.isascii() and before.isalnum() and after.isascii() and after.isalnum() else ""
    return re.sub(r"\s+", space, text.strip())


@dataclass(frozen=True)
class Match:
    exact: bool
    year: int | None = None
    month: int | None = None  # a month the header names (`1-11月完成投资` → 11)

    def order(self) -> tuple[int, int]:
        return self.year or 0, self.month or 0


def match(spec: Column, parts: list[str]) -> Match | None:
    """Whether a file column (its header parts, top to bottom) is the profile's column: by name, else by pattern."""
    names = {key(base_and_unit(part)[0]) for part in [*parts, "/".join(parts)]}
    if names & {key(base_and_unit(alias)[0]) for alias in spec.headers}:
        return Match(exact=True)
    for pattern in spec.patterns:
        for name in names:
            if found := pattern.fullmatch(name):
                groups = found.groupdict()
                year, month = groups.get("year"), groups.get("month")
                if month is not None and not 1 <= int(month) <= 12:
                    continue
                return Match(False, int(year) if year else None, int(month) if month else None)
    return None


@dataclass(frozen=True)
class Above:
    """What the lines above the header say about the whole file."""

    title_month: tuple[int, int] | None  # 2026年11月重点项目台账
    cutoff: tuple[int, int] | None  # 截至2026年11月30日
    filed: tuple[int, int] | None  # 填报日期：2026年12月3日
    units: dict[str, str]  # kind → unit, from 单位：万元
    title_year: int | None = None  # 2026年重点项目推进表: the year of a `1-11月` header when no month is dated

    def ledger_month(self) -> tuple[int, int] | None:
        """The month the ledger reports: its cut-off, else the title's month, else the month it was filed in."""
        return self.cutoff or self.title_month or self.filed


def read_above(rows: list[list[Any]]) -> Above:
    text = " ".join(squash(value) for row in rows for value in row if value is not None)
    cutoff, filed = _CUTOFF.search(text), _FILED.search(text)
    rest = _FILED.sub(" ", _CUTOFF.sub(" ", text))  # a date line is no title
    title, year = _TITLE_MONTH.search(rest), _TITLE_YEAR.search(rest)
    units = {UNIT_KINDS[UNITS[unit]]: UNITS[unit] for unit in _FILE_UNIT.findall(text)}

    def month(found: re.Match[str] | None) -> tuple[int, int] | None:
        return (int(found[1]), int(found[2])) if found and 1 <= int(found[2]) <= 12 else None
    return Above(month(title), month(cutoff), month(filed), units, int(year[1]) if year else None)


def year_for(month: int, known: tuple[int, int] | None) -> int | None:
    """The year of `1-N月` from a dated month: the same year, or the one before when that date is earlier in its year
    (a 1-12月 table filed in January)."""
    if known is None:
        return None
    return known[0] if month <= known[1] else known[0] - 1
