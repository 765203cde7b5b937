"""The committed AsyncAPI and OpenAPI documents are the ones the code generates today."""
from __future__ import annotations

import json

from shared import apidocs


def test_committed_api_documents_are_current() -> None:
    outdated = apidocs.stale()
    assert not outdated, f"out of date: {', '.join(map(str, outdated))}; run python -m shared.apidocs"


def test_every_consuming_service_has_an_asyncapi_document_with_its_channels() -> None:
    for service in apidocs.ASYNCAPI_SERVICES:
        document = json.loads((apidocs.ROOT / "docs/asyncapi" / f"{service}.json").read_text(encoding="utf-8"))
        assert document["asyncapi"].startswith("3.")
        assert document["channels"], f"{service} describes no channel"
    openapi = json.loads((apidocs.ROOT / "docs/openapi/intake.json").read_text(encoding="utf-8"))
    assert "/v1/counties/{county_code}/updates" in openapi["paths"]
