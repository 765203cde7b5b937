"""Schemathesis against escalation's whole OpenAPI, in process: no request, valid or not, may get a 5xx.

The app runs its real lifespan (a nats-server of the test's, a SQLite file). A third of the cases carry an office
person's token for the path's county, a third the service token (the /internal doors), a third nothing, so the
fuzzed values reach the queries rather than stopping at 401. A run at 200 examples per operation found four 500s
(a bulletin month of year 0, and integers past what the database holds in ?level=, ?offset= and ?revision=)."""
from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from pathlib import Path
from typing import Any

import schemathesis
from schemathesis.python.asgi import shutdown_lifespans

from services.escalation.app import build
from services.escalation.cases.people import add_person
from services.escalation.settings import Settings
from shared.db import make_engine, migrate, session_factory
from shared.service_token import new_token
from tests.support.fuzzing import fuzz

COUNTY = "330106"
MIGRATIONS = Path(__file__).resolve().parents[3] / "services" / "escalation" / "migrations"
MAX_EXAMPLES = 10  # per operation, 50 operations: about ten seconds
_turn = itertools.count()


async def _office_token(url: str) -> str:
    await migrate(MIGRATIONS, url)
    engine = make_engine(url)
    try:
        return (await add_person(session_factory(engine), COUNTY, "office", "办公室", "office"))[1]
    finally:
        await engine.dispose()


def test_no_request_gets_a_server_error(nats_server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = f"sqlite+aiosqlite:///{tmp_path / 'escalation.db'}"
    office = asyncio.run(_office_token(url))  # a sync test: no loop is running in this thread
    service = new_token()
    app = build(Settings(nats_url=nats_server.url, database_url=url, service_token=service, clock="fixed:2026-03-02T09:00:00+08:00"))
    operations = [result.ok() for result in schemathesis.openapi.from_asgi("/openapi.json", app).get_all_operations()]
    operations.sort(key=lambda operation: operation.label == "POST /api/logout")  # last: it ends the office's session
    assert len(operations) >= 40, [operation.label for operation in operations]
    seen: Counter[tuple[str, int]] = Counter()
    try:
        for operation in operations:
            _fuzz(operation, {0: office, 1: service}, seen)
    finally:
        shutdown_lifespans()  # schemathesis started the lifespan in its own loop; close NATS and the engine
    # The tokens did their job: the person's and the service's doors answered 200 (any of them: with ten random cases an
    # operation, one given operation may draw no valid authorised request).
    answered = {label.split(" ")[1].split("/")[1] for (label, status) in seen if status == 200 and label.startswith("GET ")}
    assert answered >= {"api", "internal"}, seen


def _fuzz(operation: Any, tokens: dict[int, str], seen: Counter[tuple[str, int]]) -> None:
    def headers_for(case: Any) -> dict[str, str] | None:
        token = tokens.get(next(_turn) % 3)
        if token and case.path_parameters and "county_code" in case.path_parameters:
            case.path_parameters["county_code"] = COUNTY
        return {"Authorization": f"Bearer {token}"} if token else None

    fuzz(operation, MAX_EXAMPLES, headers_for, seen)
