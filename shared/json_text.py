"""JSON columns' text: pydantic-core's serializer, three times faster than json.dumps on our rows.

Every batch writes JSON columns (a project's state, its change log, the outbox rows' headers); json.dumps was
about 6% of tracker's and escalation's CPU under the pipeline benchmark. A string pydantic-core refuses (a lone surrogate, valid in Python and in
JSON's \\u escapes but not in UTF-8) falls back to json.dumps, which escapes it as before.
"""
from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticSerializationError, to_json


class JsonText(str):
    """A value already serialised: a JSON column stores it as it is. One model written to two columns (escalation keeps
    a project's snapshot and its history) is serialised once, straight from the model, not dumped to a dict first."""


def model_json(model: BaseModel) -> JsonText:
    try:
        return JsonText(model.model_dump_json())
    except PydanticSerializationError:  # a lone surrogate, as in dumps
        return JsonText(json.dumps(model.model_dump(mode="json")))


def dumps(value: Any) -> str:
    if isinstance(value, JsonText):
        return value
    try:
        return to_json(value).decode()
    except PydanticSerializationError:
        return json.dumps(value)
