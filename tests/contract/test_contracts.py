"""Contracts between services: committed schema snapshots, AsyncAPI generation, subject naming."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from faststream.__main__ import cli as faststream_cli
from typer.testing import CliRunner

from shared import subjects
from shared.contracts import EVENTS
from shared.contracts.snapshot import SCHEMAS, schema_text


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: e.__name__)
def test_event_schema_matches_its_committed_snapshot(event: type) -> None:
    snapshot = SCHEMAS / f"{event.__name__}.v{event.SCHEMA_VERSION}.json"
    assert snapshot.exists(), f"no snapshot for {event.__name__}: run python -m shared.contracts.snapshot"
    assert schema_text(event) == snapshot.read_text(encoding="utf-8"), (
        f"{event.__name__} changed: additive changes need a new snapshot (python -m shared.contracts.snapshot), breaking ones a v2 class"
    )


@pytest.mark.parametrize("service", ["tracker", "escalation", "notifier"])
def test_faststream_docs_gen_describes_every_channel(service: str, tmp_path: Path) -> None:
    out = tmp_path / "asyncapi.json"
    # `faststream docs gen`'s own command, in process: a new interpreter per service cost ~3 s of CPU to import.
    result = CliRunner().invoke(faststream_cli, ["docs", "gen", f"services.{service}.app:app", "--out", str(out)])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    addresses = {channel["address"] for channel in document["channels"].values()}
    assert any(address.startswith("county.*.") for address in addresses)
    assert document["components"]["schemas"], "payload schemas are part of the document"


def test_money_is_never_a_float_in_any_contract() -> None:
    for event in EVENTS:
        text = json.dumps(event.model_json_schema())
        assert '"type": "number"' not in text, f"{event.__name__} has a float field"


@pytest.mark.parametrize("bad", ["33010", "3301066", "abc123", "*.*", "330106.x"])
def test_a_bad_county_code_never_becomes_a_subject(bad: str) -> None:
    with pytest.raises(ValueError):
        subjects.project_updated(bad)


def test_subjects_follow_county_entity_fact() -> None:
    assert subjects.project_updated("330106") == "county.330106.project.updated"
    assert subjects.escalation("330782", "raised") == "county.330782.escalation.raised"
