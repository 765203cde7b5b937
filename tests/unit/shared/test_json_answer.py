"""The list pages' JSON, encoded in C, is byte for byte what FastAPI's own encoding wrote."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from enum import StrEnum

from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from shared.json_answer import json_answer


class State(StrEnum):
    opened = "opened"


def test_a_page_of_rows_is_written_as_fastapi_wrote_it() -> None:
    row = {"case_id": uuid.UUID(int=7), "state": State.opened, "due_on": date(2026, 1, 21), "at": time(9, 30),
           "updated_at": datetime(2026, 12, 8, 2, 6, 13, 858291), "opened_at": datetime(2026, 1, 20, 1, tzinfo=UTC),
           "beijing": datetime(2026, 1, 20, 9, tzinfo=timezone(timedelta(hours=8))), "fee": Decimal("12.50"), "whole": Decimal("3"),
           "target_name": "自然资源局", "recipients": [{"kind": "leader", "name": "陈立新"}], "letter": None, "paused": False}
    body = {"cases": [row, row], "limit": 500, "offset": 0, "more": True}
    assert json_answer(body).body == JSONResponse(jsonable_encoder(body)).body
    assert json_answer(body).headers["content-type"] == "application/json"
