"""Write the committed JSON-schema snapshots: `python -m shared.contracts.snapshot`.

A contract test compares these files with the models, so a change to an event is a reviewed change.
"""
from __future__ import annotations

import json
from pathlib import Path

from shared.contracts import EVENTS

SCHEMAS = Path(__file__).parent / "schemas"


def schema_text(event: type) -> str:
    return json.dumps(event.model_json_schema(mode="serialization"), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write() -> None:
    SCHEMAS.mkdir(exist_ok=True)
    for event in EVENTS:
        (SCHEMAS / f"{event.__name__}.v{event.SCHEMA_VERSION}.json").write_text(schema_text(event), encoding="utf-8")


if __name__ == "__main__":
    write()
