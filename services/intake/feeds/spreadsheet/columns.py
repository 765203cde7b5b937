"""What an upload did with each column of the file: mapped to which field, or ignored and why; and a warning
for a mapped column none of whose cells could be read (a silent None on every row is a lie by omission)."""
from __future__ import annotations

from collections import Counter
from typing import Any

from services.intake.feeds.spreadsheet.mapping import Layout, Mapped, Placed
from services.intake.feeds.spreadsheet.profiles import Profile

META_UNUSED = "已读取，但项目数据中没有对应字段，未导入 / read, but a project update has no such field; not imported"


class ColumnTally:
    """Counts, per mapped field, the rows whose cell was read and those whose cell was refused."""

    def __init__(self) -> None:
        self.read: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()

    def add(self, mapped: Mapped) -> None:
        self.read.update(mapped.read)
        self.refused.update({problem.field for problem in mapped.problems if problem.field})

    def _column(self, profile: Profile | None, p: Placed) -> dict[str, Any]:
        entry: dict[str, Any] = {"column": p.header, "field": p.spec.field, "status": "mapped", "cells_read": self.read[p.spec.field],
                                 "cells_refused": self.refused[p.spec.field]}
        if p.spec.also:
            entry["also"] = list(p.spec.also)
        if p.unit and p.spec.kind in ("money", "area"):
            entry["unit"] = p.unit
        if p.spec.field.startswith("meta.") and profile is not None:  # meta cells serve the record's id, time or month only
            uses = [*(name for part in profile.record_id for name in part), *profile.record_time, profile.record_month]
            if p.spec.field not in uses:
                entry.update(status="ignored", why=META_UNUSED)
        return entry

    def report(self, layout: Layout, profile: Profile | None = None) -> dict[str, list[dict[str, Any]]]:
        columns = [self._column(profile, p) for p in layout.placed]
        columns += [{"column": header, "field": None, "status": "ignored", "why": why} for header, why in layout.ignored.items()]
        warnings = [{"column": p.header, "field": p.spec.field,
                     "message": f"“{p.header}”列的 {self.refused[p.spec.field]} 个单元格均无法读取，该列未导入 / "
                                f"none of the {self.refused[p.spec.field]} cells of '{p.header}' could be read; the column was not imported"}
                    for p in layout.placed if self.refused[p.spec.field] and not self.read[p.spec.field]]
        return {"columns": columns, "warnings": [*layout.warnings, *warnings]}
