"""Structured logs: JSON lines an on-call engineer can filter by event id, county and correlation id."""
from __future__ import annotations

import io
import json
import logging

import pytest
import structlog

from shared.contracts import ProjectUpdated
from shared.logs import bound_to, configure, event_extra, event_fields


@pytest.fixture
def json_lines():  # noqa: ANN201 - returns a reader
    stream = io.StringIO()
    configure("tracker", "DEBUG", stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    logging.getLogger().handlers.clear()  # leave the process as pytest had it
    logging.getLogger().setLevel(logging.WARNING)
    structlog.contextvars.clear_contextvars()


EVENT = {"event_id": "6c3f1f0e-1b5e-4c1e-9a7e-4c1f2b6a9d10", "county_code": "330106", "correlation_id": "330106|zwfw|R-17"}


def test_a_line_logged_while_handling_an_event_carries_its_ids(json_lines) -> None:
    with bound_to(EVENT):
        logging.getLogger("services.tracker").warning("merge conflict on %s", "项目A")
    logging.getLogger("services.tracker").info("after the event")
    during, after = json_lines()
    assert during["event"] == "merge conflict on 项目A"
    assert {k: during[k] for k in ("event_id", "county_code", "correlation_id", "service", "level")} == {**EVENT, "service": "tracker", "level": "warning"}
    assert "event_id" not in after and after["service"] == "tracker"


def test_a_line_about_one_event_carries_its_ids_as_extra_and_a_librarys_extras_stay_out(json_lines) -> None:
    logging.getLogger("services.notifier").info("delivered", extra=event_extra(EVENT, person="王芳", channel="file"))
    logging.getLogger("a.library").info("started", extra={"color_message": "\x1b[32mstarted\x1b[0m"})  # as uvicorn does
    delivered, library = json_lines()
    assert {k: delivered[k] for k in ("event", "event_id", "county_code", "correlation_id", "person", "channel", "service")} == {
        "event": "delivered", **EVENT, "person": "王芳", "channel": "file", "service": "tracker"}
    assert "color_message" not in library and library["event"] == "started"


def test_the_ids_come_from_a_model_a_dict_or_a_raw_body_and_poison_has_none() -> None:
    body = json.dumps({**EVENT, "occurred_at": "2026-11-01T00:00:00Z"}).encode()
    assert event_fields(body) == EVENT
    assert event_fields(b"\xff not json") == {}
    update = ProjectUpdated.model_validate({**EVENT, "occurred_at": "2026-11-01T00:00:00Z", "update": {
        "local_id": "L1", "source_system": "zwfw", "source_record_id": "R-17", "source_record_time": "2026-11-01T00:00:00Z"}})
    assert event_fields(update) == EVENT


def test_exceptions_are_one_json_line_with_the_traceback(json_lines) -> None:
    try:
        raise ValueError("坏数据")
    except ValueError:
        logging.getLogger("x").exception("batch failed")
    (line,) = json_lines()
    assert line["level"] == "error" and "ValueError: 坏数据" in line["exception"]
