"""One data row → a ProjectUpdate-shaped dict and its event, or the reasons it was refused, cell by cell, in Chinese and English."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import ValidationError

from services.intake.domain import Origin, build_event
from services.intake.feeds.spreadsheet import normalize as n
from services.intake.feeds.spreadsheet.mapping import Layout, Mapped, Problem, convert, record_time, squash
from services.intake.feeds.spreadsheet.profiles import AS_OF, Profile
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
    if parts[0] == "meta":
        return
    if parts[0] == "milestones":
        milestones = item.setdefault("milestones", [])
        entry = next((m for m in milestones if m["name"] == parts[1]), None) or {"name": parts[1]}
        if entry not in milestones:
            milestones.append(entry)
        entry[parts[2]] = value
        return
    if parts[0] == "expropriation":  # a row reports one 征迁 count: the list's single entry
        item.setdefault("expropriation", [{}])[0][parts[1]] = value
        return
    for part in parts[:-1]:
        item = item.setdefault(part, {})
    item[parts[-1]] = value


def map_row(profile: Profile, layout: Layout, number: int, values: list[Any], as_of: datetime | None) -> Mapped | None:
    """None for blank, total (合计/小计) and footer (填报人, 联系电话, 审核人…) rows: they are layout, not records."""
    cleaned = [n.clean(value) for value in values]
    if all(value is None for value in cleaned):
        return None
    first = [squash(v) for v in cleaned if v is not None][:3]
    if any(value.startswith(marker) for value in first for marker in (*profile.skip_markers, *FOOTERS)):
        return None
    cells = {p.header: n.text(cleaned[p.index]) for p in layout.placed if p.index < len(cleaned) and cleaned[p.index] is not None}
    found: dict[str, Any] = dict(layout.file_values)
    problems: list[Problem] = []
    for p in layout.placed:
        raw = cleaned[p.index] if p.index < len(cleaned) else None
        if raw is None:
            continue
        if p.spec.kind == "text" and isinstance(values[p.index], str):
            raw = values[p.index].strip()  # free text as written: NFKC is for codes, numbers and dates only
        try:
            found[p.spec.field] = convert(p.spec, p.unit, raw)
        except n.CellProblem as error:
            problems.append(Problem(number, p.header, n.text(raw), error.reason_zh, error.reason_en, p.spec.field))
    headers = {p.spec.field: p.header for p in layout.placed}
    key_parts = [squash(cells.get(headers.get(name, ""), "")) for name in profile.record_id]
    for name in profile.record_id:
        if name not in found and not any(pr.field == name for pr in problems):
            problems.append(Problem(number, headers.get(name, name), "", "记录标识列不能为空", "the record's identifying cell is empty", name))
    times = [as_of if name == AS_OF else found.get(name) for name in profile.record_time]
    when = next((value for value in times if value is not None), None)
    if when is None:
        column = headers.get(profile.record_time[0], profile.record_time[0])
        problems.append(Problem(number, column, "", "缺少填报时间（填写该列或上传时给出 as_of）",
                                "no record time (fill this column or give as_of with the upload)", "source_record_time"))
    read = frozenset(found) - set(layout.file_values)
    if problems:
        return Mapped(number, None, problems, cells, "|".join(key_parts), read)
    item: dict[str, Any] = {
        "source_system": profile.source_system,
        "source_record_id": "|".join(str(found[name]) for name in profile.record_id),
        "source_record_time": record_time(when).isoformat(),
    }
    for path, value in {**profile.constants, **found}.items():
        _put(item, path, value)
    if "expropriation" in item:  # counted as of the record's day unless a column dates it
        item["expropriation"][0].setdefault("as_of", record_time(when).date().isoformat())
    return Mapped(number, item, [], cells, "|".join(key_parts), read)


def _path(item: dict[str, Any], loc: tuple[int | str, ...]) -> str:
    if len(loc) >= 3 and loc[0] == "milestones" and isinstance(loc[1], int):
        return f"milestones.{item['milestones'][loc[1]]['name']}.{loc[2]}"
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
        headers = {p.spec.field: p.header for p in layout.placed}
        for detail in error.errors(include_url=False):
            path = _path(mapped.item, detail["loc"]) or "project_code"
            column = headers.get(path, path)
            message = detail["msg"].removeprefix("Value error, ")
            reason_zh = VALUE_ERRORS_ZH.get(message) or REASONS_ZH.get(detail["type"], "数据不符合要求")
            if path == "project_code" and detail["type"] == "string_pattern_mismatch":
                reason_zh, message = "项目代码应为24位 YYMM-RRRRRR-DD-TT-NNNNNN", "a 项目代码 is 24 characters: YYMM-RRRRRR-DD-TT-NNNNNN"
            mapped.problems.append(Problem(mapped.row, column, mapped.cells.get(column, ""), reason_zh, message, path))
        return None
