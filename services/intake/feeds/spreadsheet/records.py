"""One data row → a ProjectUpdate-shaped dict and its event, or the reasons it was refused, cell by cell, in Chinese and English."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from services.intake.domain import Origin, build_event
from services.intake.feeds.spreadsheet import headers as h
from services.intake.feeds.spreadsheet import normalize as n
from services.intake.feeds.spreadsheet import problems as problem_list
from services.intake.feeds.spreadsheet.mapping import BEIJING, Layout, Mapped, Problem, convert, record_time, squash
from services.intake.feeds.spreadsheet.profiles import AS_OF, PROBLEM_KEY, Profile
from shared.contracts import ProjectUpdate, ProjectUpdated

# pydantic error type → Chinese reason; the English one is pydantic's own message.
REASONS_ZH = {
    "missing": "缺少必填项", "string_pattern_mismatch": "格式不正确", "string_too_long": "内容过长", "string_too_short": "不能为空",
    "greater_than_equal": "不能为负数", "enum": "取值不在允许范围内", "date_from_datetime_parsing": "日期无效",
    "date_parsing": "日期无效", "extra_forbidden": "不允许的字段",
}
VALUE_ERRORS_ZH = {"either project_code or local_id is required": "缺少项目代码或本地编号", "end is before start": "结束日期早于开始日期"}


# Lines clerks add under a ledger: who filled it in, checked it, and how to reach them; never records.
FOOTERS = ("填报人", "填表人", "制表人", "审核人", "负责人", "联系人", "联系电话", "填报日期", "制表日期", "备注:", "说明:")


def _put(item: dict[str, Any], path: str, value: Any) -> None:
    """`milestones.开工.planned` becomes an entry of the milestones list; other dotted paths nest dicts."""
    parts = path.split(".")
    if parts[0] in ("meta", "reported_problems"):  # meta: read for the record's id or time; problems: built whole
        return
    if parts[0] == "milestones":
        milestones = item.setdefault("milestones", [])
        entry = next((m for m in milestones if m["name"] == parts[1]), None) or {"name": parts[1]}
        if entry not in milestones:
            milestones.append(entry)
        entry[parts[2]] = value
        return
    if parts[0] in ("expropriation", "ledger"):  # a row reports one 征迁 count, one ledger month: the list's single entry
        item.setdefault(parts[0], [{}])[0][parts[1]] = value
        return
    for part in parts[:-1]:
        item = item.setdefault(part, {})
    item[parts[-1]] = value


def _headers(layout: Layout) -> dict[str, str]:
    """Each field's column header (a cell filling two fields names its column for both)."""
    return {path: p.header for p in layout.placed for path in (p.spec.field, *p.spec.also)}


def _skipped(profile: Profile, cleaned: list[Any]) -> bool:
    """Blank, total (合计/小计) and footer (填报人, 联系电话, 审核人…) rows are layout, not records."""
    if all(value is None for value in cleaned):
        return True
    first = [squash(v) for v in cleaned if v is not None][:3]
    return any(value.startswith(marker) for value in first for marker in (*profile.skip_markers, *FOOTERS))


def _fill_down(profile: Profile, layout: Layout, cleaned: list[Any], values: list[Any]) -> None:
    """A project's cells merged down over its several problems read as empty below the first: take the one above,
    but only when all of them are empty (a row naming a project without its code is that project's, not the last one's)."""
    indexes = [p.index for p in layout.placed if p.spec.field in profile.fill_down and p.index < len(cleaned)]
    if not indexes:
        return
    if all(cleaned[i] is None for i in indexes):
        for i in indexes:
            if i in layout.carried:
                cleaned[i] = values[i] = layout.carried[i]
    else:
        layout.carried = {i: cleaned[i] for i in indexes if cleaned[i] is not None}


def _dated(layout: Layout, found: dict[str, Any], as_of: datetime | None) -> None:
    """A month a header names without a year is dated by the upload's as_of (1-12月 uploaded in January: last year)."""
    if as_of is None:
        return
    local = as_of.astimezone(BEIJING)
    for name, month in layout.yearless.items():
        year = h.year_for(month, (local.year, local.month))
        found.setdefault(name, f"{year:04d}-{month:02d}")


def map_row(profile: Profile, layout: Layout, number: int, values: list[Any], as_of: datetime | None) -> Mapped | None:
    """None for blank, total (合计/小计) and footer (填报人, 联系电话, 审核人…) rows: they are layout, not records."""
    values = list(values)
    cleaned = [n.clean(value) for value in values]
    if _skipped(profile, cleaned):
        return None
    _fill_down(profile, layout, cleaned, values)
    cells = {p.header: n.text(cleaned[p.index]) for p in layout.placed if p.index < len(cleaned) and cleaned[p.index] is not None}
    found: dict[str, Any] = dict(layout.file_values)
    _dated(layout, found, as_of)
    problems: list[Problem] = []
    read: set[str] = set()
    for p in layout.placed:
        raw = cleaned[p.index] if p.index < len(cleaned) else None
        if raw is None:
            continue
        if p.spec.kind in ("text", "prose") and isinstance(values[p.index], str):
            raw = values[p.index].strip()  # free text as written: NFKC is for codes, numbers and dates only
        try:
            value = convert(p.spec, p.unit, raw)
        except n.CellProblem as error:
            problems.append(Problem(number, p.header, n.text(raw), error.reason_zh, error.reason_en, p.spec.field))
            continue
        read.add(p.spec.field)
        for path in (p.spec.field, *p.spec.also):
            found[path] = value
        if p.spec.year_field and p.year is not None:  # `2027年计划投资`: the value is 2027's, whatever the ledger month
            found[p.spec.year_field] = p.year
    headers = _headers(layout)
    times = [as_of if name == AS_OF else found.get(name) for name in profile.record_time]
    when = next((value for value in times if value is not None), None)
    if when is None:
        column = headers.get(profile.record_time[0], profile.record_time[0])
        problems.append(Problem(number, column, "", "缺少填报时间（填写该列或上传时给出 as_of）",
                                "no record time (fill this column or give as_of with the upload)", "source_record_time"))
    month = found.get(profile.record_month) if profile.record_month else None
    month = month or (f"{record_time(when):%Y-%m}" if when is not None else None)
    project = next((str(found[name]) for name in ("project_code", "local_id") if found.get(name) is not None), "")
    reported = problem_list.reported(project, found, month)
    if reported and PROBLEM_KEY not in found:
        found[PROBLEM_KEY] = ",".join(problem["key"] for problem in reported)
    ids = [next((name for name in part if found.get(name) is not None), None) for part in profile.record_id]
    if PROBLEM_KEY not in headers and "reported_problems.description" in headers:  # a digest key: its words identify the row
        headers[PROBLEM_KEY] = headers["reported_problems.description"]
    key_parts = [squash(cells.get(headers.get(name or "", ""), "")) for name in ids]
    for part, name in zip(profile.record_id, ids, strict=True):
        if name is None and not any(pr.field in part for pr in problems):
            if PROBLEM_KEY in part:
                problems.append(Problem(number, headers.get("reported_problems.description", ""), "", "未填写问题内容",
                                        "the problem is not described", "reported_problems.description"))
            else:
                problems.append(Problem(number, headers.get(part[0], part[0]), "", "记录标识列不能为空",
                                        "the record's identifying cell is empty", part[0]))
    if problems:
        return Mapped(number, None, problems, cells, "|".join(key_parts), frozenset(read))
    assert when is not None
    item: dict[str, Any] = {
        "source_system": profile.source_system,
        "source_record_id": "|".join(str(found[name]) for name in ids if name is not None),
        "source_record_time": record_time(when).isoformat(),
    }
    for path, value in {**profile.constants, **found}.items():
        _put(item, path, value)
    if "expropriation" in item:  # counted as of the record's day unless a column dates it
        item["expropriation"][0].setdefault("as_of", record_time(when).date().isoformat())
    if "ledger" in item:  # the month's words belong to the ledger's month
        item["ledger"][0]["month"] = month
    if reported:
        item["reported_problems"] = reported
    return Mapped(number, item, [], cells, "|".join(key_parts), frozenset(read))


def _path(item: dict[str, Any], loc: tuple[int | str, ...]) -> str:
    if len(loc) >= 3 and loc[0] == "milestones" and isinstance(loc[1], int):
        return f"milestones.{item['milestones'][loc[1]]['name']}.{loc[2]}"
    if len(loc) >= 3 and loc[0] in ("ledger", "reported_problems"):  # one row's month, its problems: named by field
        return f"{loc[0]}.{loc[2]}"
    if len(loc) >= 2 and loc[0] == "expropriation":  # the entry's own check objects to the signed count
        return f"expropriation.{loc[2] if len(loc) >= 3 else 'households_signed'}"
    return ".".join(str(part) for part in loc)


def validate(profile: Profile, layout: Layout, county: str, mapped: Mapped, now: datetime,
             origin: Origin = Origin()) -> ProjectUpdated | None:
    """The event for a mapped row, or None with the contract's objections added to its problems."""
    if mapped.item is None:
        return None
    try:
        return build_event(county, ProjectUpdate.model_validate(mapped.item), now, origin)
    except ValidationError as error:
        headers = _headers(layout)
        for detail in error.errors(include_url=False):
            path = _path(mapped.item, detail["loc"]) or "project_code"
            column = headers.get(path, path)
            message = detail["msg"].removeprefix("Value error, ")
            reason_zh = VALUE_ERRORS_ZH.get(message) or REASONS_ZH.get(detail["type"], "数据不符合要求")
            if path == "project_code" and detail["type"] == "string_pattern_mismatch":
                reason_zh, message = "项目代码应为24位 YYMM-RRRRRR-DD-TT-NNNNNN", "a 项目代码 is 24 characters: YYMM-RRRRRR-DD-TT-NNNNNN"
            mapped.problems.append(Problem(mapped.row, column, mapped.cells.get(column, ""), reason_zh, message, path))
        return None
