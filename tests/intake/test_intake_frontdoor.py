"""County reads through intake: token checked here, path, query and answer passed through, 502 when away."""
from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from intake_support import bearer, fresh_county, running

from services.intake import tokens
from services.intake.settings import Settings


class _Echo(BaseHTTPRequestHandler):
    """Stands in for tracker/escalation: answers with what it was asked; `/missing` is a 404."""

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        status = 404 if "missing" in self.path else 200
        body = json.dumps({"path": self.path, "authorization": self.headers.get("Authorization")}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


SERVICE_TOKEN = "internal-" + "x" * 40


@pytest.fixture
def frontdoor_settings(settings: Settings, upstream: str, unused_tcp_port: int) -> Settings:
    return settings.model_copy(update={
        "tracker_url": upstream, "escalation_url": upstream + "/", "notifier_url": f"http://127.0.0.1:{unused_tcp_port}",
        "service_token": SERVICE_TOKEN,
    })


async def test_reads_are_forwarded_to_the_owning_service_with_their_query(frontdoor_settings: Settings) -> None:
    county = fresh_county()
    async with running(frontdoor_settings) as (client, app):
        headers = bearer(await tokens.issue_token(app.state.runtime.sessions, county, "t"))
        projects = await client.get(f"/v1/counties/{county}/projects?stage=started&stage=signed&limit=5", headers=headers)
        assert projects.status_code == 200
        assert projects.json() == {"path": f"/internal/counties/{county}/projects?stage=started&stage=signed&limit=5",
                                   "authorization": f"Bearer {SERVICE_TOKEN}"}  # the service token, never the county's
        one = await client.get(f"/v1/counties/{county}/escalations/abc-1/history", headers=headers)
        assert one.json()["path"] == f"/internal/counties/{county}/escalations/abc-1/history"
        missing = await client.get(f"/v1/counties/{county}/projects/missing", headers=headers)
        assert (missing.status_code, missing.json()["path"]) == (404, f"/internal/counties/{county}/projects/missing")
        away = await client.get(f"/v1/counties/{county}/deliveries", headers=headers)
        assert away.status_code == 502 and "notifier" in away.json()["detail"]


async def test_reads_need_the_county_s_own_token_and_cannot_climb_into_another_county(frontdoor_settings: Settings) -> None:
    county, other = fresh_county(), fresh_county()
    async with running(frontdoor_settings) as (client, app):
        headers = bearer(await tokens.issue_token(app.state.runtime.sessions, county, "t"))
        assert (await client.get(f"/v1/counties/{county}/projects")).status_code == 401
        assert (await client.get(f"/v1/counties/{other}/projects", headers=headers)).status_code == 403
        climb = await client.get(f"/v1/counties/{county}/projects/%2E%2E/%2E%2E/{other}/projects", headers=headers)
        assert climb.status_code == 404
        assert "path" not in climb.json()
