"""Assignment rows as escalation stores them, written straight to its table: a list's tests need many, and a meeting's
decision per row would be the slow way to the same rows."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any


def assignment_row(county: str, n: int, department: str, due_on: date, state: str = "opened") -> dict[str, Any]:
    return {"assignment_id": str(uuid.UUID(int=n)), "county_code": county, "meeting_id": "m-1", "item_id": f"item-{n}",
            "item_kind": "problem", "project_id": None, "number": f"交办〔2026〕{n}号", "decision": f"决定{n}",
            "handler_department": department, "co_departments": [], "follow_up_leader": "陈立新", "deadline": due_on, "state": state,
            "level": 1, "target_kind": "department", "target_name": department, "due_on": due_on, "report": None,
            "opened_on": date(2026, 3, 2), "closed_on": None, "version": 1, "updated_at": datetime(2026, 3, 2, 1, tzinfo=UTC)}
