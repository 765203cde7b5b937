"""What an upload did with each column of the file: mapped to which field, or ignored and why; and a warning
for a mapped column none of whose cells could be read (a silent None on every row is a lie by omission)."""
from __future__ import annotations

from collections import Counter
from typing import Any

from services.intake.feeds.spreadsheet.mapping import Layout, Mapped


class ColumnTally:
    """Counts, per mapped field, the rows whose cell was read and those whose cell was refused."""

    def __init__(self) -> None:
        self.read: Counter[str] = Counter()
        self.refused: Counter[str] = Counter()

    def add(self, mapped: Mapped) -> None:
        self.read.update(mapped.read)
        self.refused.update({problem.field for problem in mapped.problems if problem.field})

    def report(self, layout: Layout) -> dict[str, list[dict[str, Any]]]:
        columns: list[dict[str, Any]] = [
            {"column": p.header, "field": p.spec.field, "status": "mapped", "cells_read": self.read[p.spec.field],
             "cells_refused": self.refused[p.spec.field]} for p in layout.placed]
        columns += [{"column": header, "field": None, "status": "ignored",
                     "why": "模板中没有此列，未导入 / the profile has no such column; not imported"} for header in layout.ignored]
        warnings = [{"column": p.header, "field": p.spec.field,
                     "message": f"“{p.header}”列的 {self.refused[p.spec.field]} 个单元格均无法读取，该列未导入 / "
                                f"none of the {self.refused[p.spec.field]} cells of '{p.header}' could be read; the column was not imported"}
                    for p in layout.placed if self.refused[p.spec.field] and not self.read[p.spec.field]]
        return {"columns": columns, "warnings": warnings}
