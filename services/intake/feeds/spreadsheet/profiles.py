"""Mapping profiles: one versioned TOML file per source system says which column is which field, in which unit."""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KINDS = {"text", "prose", "code", "money", "area", "date", "month", "enum", "bool", "int", "percent"}
DEFAULT_UNITS = {"money": "万元", "area": "m2"}
SHIPPED_PROFILES = Path(__file__).resolve().parents[4] / "config" / "profiles"
AS_OF = "as_of"  # in `record.time`: the upload's as_of form field
PROBLEM_KEY = "reported_problems.key"  # in `record.id`: the county's problem number, else a digest of the problem's text


class ProfileError(ValueError):
    """A profile file that cannot be used (unknown kind, no columns, …): a deployment error, not a county's."""


@dataclass(frozen=True)
class Column:
    field: str  # path in the ProjectUpdate: `name`, `land_parcel.land_price_fen`, `milestones.开工.planned`, `meta.x`
    headers: tuple[str, ...]  # accepted header texts, compared after NFKC and without spaces
    kind: str = "text"
    unit: str | None = None  # money: 万元 | 元 | 亿元; area: m2 | 亩 | 公顷 (a unit in the header or the cell wins)
    required: bool = False  # the file must have this column
    month_day: str = "last"  # a bare month in a date column: its "first" or "last" day
    values: dict[str, Any] = field(default_factory=dict)  # enum: cell text → contract value
    # Headers as regular expressions (matched whole, after NFKC, without spaces and unit): `1-(?P<month>\d+)月完成投资`;
    # the groups `year` and `month` date the column, and that month fills `month_field` for the whole file.
    patterns: tuple[re.Pattern[str], ...] = ()
    month_field: str | None = None
    year_field: str | None = None  # the year a header names (`2027年计划投资`) fills it in each row with a value
    also: tuple[str, ...] = ()  # more fields the same cell fills (存在问题: the month's words and the problem list)


@dataclass(frozen=True)
class Ignored:
    """Columns a profile knows and leaves out on purpose, with the reason the job report gives."""

    headers: tuple[str, ...]
    why: str  # "中文 / English"


@dataclass(frozen=True)
class Profile:
    name: str
    version: int
    title: str
    source_system: str
    header_contains: str  # the header is the first row (of two cells or more: a title is one) containing this text…
    header_rows: int  # merged group headers above the column names make it 2 or more
    record_id: tuple[tuple[str, ...], ...]  # each part the first filled of its fields; parts joined with "|" into source_record_id
    record_time: tuple[str, ...]  # first non-empty of these fields (or `as_of`) gives source_record_time
    title_month: str | None  # a field filled from "2024年3月" in the title rows or a 截至/填报日期 line above the header
    skip_markers: tuple[str, ...]  # rows whose first cells start with 合计/小计 are totals, not records
    constants: dict[str, Any]
    columns: tuple[Column, ...]
    record_month: str | None = None  # the field giving the month of ledger entries and problems (else the record time's)
    fill_down: tuple[str, ...] = ()  # fields whose cell, empty under a merged cell, is the one above
    ignored: tuple[Ignored, ...] = ()
    header_also: tuple[str, ...] = ()  # or one of these marks the header (`contains = ["存在问题", "问题描述"]` in the file)

    def column_for(self, path: str) -> Column | None:
        return next((column for column in self.columns if column.field == path), None)


def _column(raw: dict[str, Any], where: str) -> Column:
    kind = raw.get("kind", "text")
    if kind not in KINDS:
        raise ProfileError(f"{where}: unknown kind {kind!r} (one of {sorted(KINDS)})")
    headers = raw.get("headers") or ([raw["header"]] if "header" in raw else [])
    if "field" not in raw or not (headers or raw.get("patterns")):
        raise ProfileError(f"{where}: every column needs `field` and `headers` or `patterns`")
    try:
        patterns = tuple(re.compile(pattern) for pattern in raw.get("patterns", ()))
    except re.error as error:
        raise ProfileError(f"{where}: bad pattern: {error}") from error
    return Column(
        field=raw["field"], headers=tuple(headers), kind=kind, unit=raw.get("unit", DEFAULT_UNITS.get(kind)),
        required=bool(raw.get("required", False)), month_day=raw.get("month_day", "last"), values=dict(raw.get("values", {})),
        patterns=patterns, month_field=raw.get("month_field"), year_field=raw.get("year_field"), also=tuple(raw.get("also", ())),
    )


def _markers(contains: str | list[str]) -> tuple[str, ...]:
    markers = (contains,) if isinstance(contains, str) else tuple(contains)
    if not markers:
        raise ProfileError("header.contains is empty")
    return markers


def parse_profile(data: dict[str, Any], where: str = "profile") -> Profile:
    try:
        header, record = data.get("header", {}), data["record"]
        columns = tuple(_column(raw, f"{where} column {i + 1}") for i, raw in enumerate(data["columns"]))
        profile = Profile(
            name=data["name"], version=int(data["version"]), title=data.get("title", data["name"]),
            source_system=data["source_system"], header_contains=_markers(header["contains"])[0],
            header_also=_markers(header["contains"])[1:], header_rows=int(header.get("rows", 1)),
            record_id=tuple(tuple(part) if isinstance(part, list) else (part,) for part in record["id"]),
            record_time=tuple(record["time"]), title_month=header.get("title_month"),
            skip_markers=tuple(record.get("skip_markers", ("合计", "小计", "总计"))), constants=dict(data.get("constants", {})),
            columns=columns, record_month=record.get("month"), fill_down=tuple(record.get("fill_down", ())),
            ignored=tuple(Ignored(tuple(raw["headers"]), raw["why"]) for raw in data.get("ignore", ())),
        )
    except (KeyError, TypeError) as error:
        raise ProfileError(f"{where}: missing or malformed {error}") from error
    known = {column.field for column in columns} | {profile.title_month} | {c.month_field for c in columns} | {PROBLEM_KEY}
    known |= {c.year_field for c in columns}
    known |= {path for column in columns for path in column.also}
    for needed in (*(name for part in profile.record_id for name in part), *profile.record_time, profile.record_month, *profile.fill_down):
        if needed is not None and needed != AS_OF and needed not in known:
            raise ProfileError(f"{where}: record field {needed!r} is no column's field")
    return profile


def load_profile(path: Path) -> Profile:
    with path.open("rb") as stream:
        return parse_profile(tomllib.load(stream), str(path))


def profiles_dir() -> Path:
    """INTAKE_PROFILES_DIR, read when asked for (not at import) so that the process's own environment decides."""
    return Path(os.environ.get("INTAKE_PROFILES_DIR", SHIPPED_PROFILES))


def available(directory: Path | None = None) -> dict[str, Profile]:
    """Every profile in the directory by name (a new source system is a new file here, no code)."""
    directory = directory or profiles_dir()
    profiles = [load_profile(path) for path in sorted(directory.glob("*.toml"))]
    return {profile.name: profile for profile in profiles}


def find_profile(name: str, directory: Path | None = None) -> Profile:
    """The profile in `name`.toml, chosen among the directory's files: a caller's name never becomes a path itself
    (one too long for the file system, or one climbing out of the directory, is simply not there)."""
    directory = directory or profiles_dir()
    files = {path.stem: path for path in directory.glob("*.toml") if not path.name.startswith(".") and path.is_file()}
    if name not in files:
        raise LookupError(f"no profile {name[:100]!r}; known: {', '.join(sorted(files)) or 'none'}")
    return load_profile(files[name])
