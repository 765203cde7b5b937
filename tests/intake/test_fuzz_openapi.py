"""Schemathesis against intake's own OpenAPI, in process: no request, valid or not, may get a 5xx.

The app runs its real lifespan (a nats-server of the test's, a SQLite file); half of the cases carry a
valid county token for the path's county, so the fuzzed bodies reach validation and JetStream rather
than stopping at 401/403. The front-door reads go to a stand-in upstream that answers 200: an
unreachable upstream is a documented 502, not a bug.
"""
from __future__ import annotations

import asyncio
import itertools
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import uvicorn
from fastapi import FastAPI
from intake_support import NOW
from schemathesis.checks import not_a_server_error
from schemathesis.python.asgi import shutdown_lifespans

from services.intake import tokens
from services.intake.app import MIGRATIONS, create_app
from services.intake.settings import Settings
from shared.clock import FixedClock
from shared.db import make_engine, migrate, session_factory
from tests.conftest import free_port, wait_for_port
from tests.support.fuzzing import fuzz

COUNTY = "330106"
_turn = itertools.count()
MAX_EXAMPLES = 30  # per operation: the whole file stays well under a minute in CI


@pytest.fixture
def upstream() -> Iterator[str]:
    """tracker, escalation and notifier stand-in: 200 with a JSON body for any internal read."""
    app = FastAPI()

    @app.get("/internal/{rest:path}")
    async def anything(rest: str) -> dict[str, Any]:
        return {"path": rest}

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


async def _issue(url: str) -> str:
    await migrate(MIGRATIONS, url)
    engine = make_engine(url)
    try:
        return await tokens.issue_token(session_factory(engine), COUNTY, "fuzz")
    finally:
        await engine.dispose()


@pytest.fixture
def intake(tmp_path: Path, nats_server, upstream: str) -> Iterator[tuple[FastAPI, str]]:  # type: ignore[no-untyped-def]
    url = f"sqlite+aiosqlite:///{tmp_path / 'intake.db'}"
    token = asyncio.run(_issue(url))  # a sync fixture: no loop is running in this thread
    # Generous timeouts: a JetStream ack or a stand-in read that a loaded CI box delays gets a documented 503/502,
    # which is not what this test looks for (a request whose content makes intake fail).
    settings = Settings(database_url=url, nats_url=nats_server.url, publish_timeout_seconds=30.0, upstream_timeout_seconds=30.0,
                        tracker_url=upstream, escalation_url=upstream, notifier_url=upstream)
    yield create_app(settings, FixedClock(NOW)), token
    shutdown_lifespans()  # schemathesis started the lifespan in its own loop; close NATS and the engine


def test_no_request_gets_a_server_error(intake: tuple[FastAPI, str]) -> None:
    # One hypothesis run per operation; schemathesis' lazy `from_fixture` needs `Node._nodeid`, gone in pytest 9.
    app, token = intake
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8, [operation.label for operation in operations]
    seen: Counter[tuple[str, int]] = Counter()
    for operation in operations:
        _fuzz(operation, token, seen)
    print(sorted(seen.items()))
    # The token did its job: posted batches got past authentication into triage and JetStream.
    assert {status for (label, status) in seen if label.startswith("POST")} & {202, 422}, seen


def _fuzz(operation: Any, token: str, seen: Counter[tuple[str, int]]) -> None:
    # Schema-valid and schema-breaking requests alike: a malformed request is a 4xx, never a 5xx.
    def headers_for(case: Any) -> dict[str, str] | None:
        # Every other case is authorised for its path's county, so bodies get past 401/403 into validation.
        if case.path_parameters and "county_code" in case.path_parameters and next(_turn) % 2 == 0:
            case.path_parameters["county_code"] = COUNTY
            return {"Authorization": f"Bearer {token}"}
        return None

    fuzz(operation, MAX_EXAMPLES, headers_for, seen)


VALID = {"project_code": "2403-330106-04-01-123456", "source_system": "发改局项目库", "source_record_id": "r-1",
         "source_record_time": "2026-03-01T09:00:00+08:00"}
# Schema-valid edge values random fuzzing rarely draws (30 examples); each got a 500 from intake when written.
EDGES = {
    # app.py get_rejected: `offset` is Query(ge=0) with no upper bound; SQLite raises OverflowError past 2**63-1.
    "offset_past_int64": ("GET", "/v1/counties/{county_code}/rejected", {"query": {"offset": 2**63}}),
    # shared/contracts/types.py _require_utc: astimezone(UTC) of year 9999 at -23:59 raises OverflowError,
    # which pydantic does not turn into a validation error, so it escapes triage (domain.py).
    "datetime_beyond_year_9999_in_utc": ("POST", "/v1/counties/{county_code}/updates",
                                         {"body": [{**VALID, "source_record_time": "9999-12-31T23:59:59-23:59"}]}),
    # quarantine.py keep: json.dumps keeps a lone surrogate (valid JSON "\ud800"); the driver cannot encode it.
    "lone_surrogate_in_a_rejected_item": ("POST", "/v1/counties/{county_code}/updates", {"body": [{"x": "\ud800"}]}),
}


@pytest.mark.parametrize("edge", sorted(EDGES))
def test_edge_values_get_no_server_error(edge: str, intake: tuple[FastAPI, str]) -> None:
    app, token = intake
    method, path, data = EDGES[edge]
    operation = schemathesis.openapi.from_asgi("/openapi.json", app).find_operation_by_path(method, path)
    assert operation is not None
    case = operation.Case(path_parameters={"county_code": COUNTY}, media_type="application/json" if "body" in data else None, **data)
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error])
