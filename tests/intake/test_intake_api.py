"""The county API end to end: a real nats-server, SQLite and PostgreSQL, the app's own lifespan."""
from __future__ import annotations

import asyncio
import hashlib
import json

import nats
import pytest
from intake_support import NOW, bearer, fresh_county, running, update

from services.intake import tokens
from services.intake.settings import Settings
from shared import subjects
from shared.contracts import ProjectUpdated
from shared.subjects import UPDATES


async def stored(nats_url: str, county: str) -> list:  # type: ignore[type-arg]
    """Every message JetStream keeps for the county's updates subject."""
    subject = subjects.project_updated(county)
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(UPDATES.name, subjects_filter=subject)
        count = (info.state.subjects or {}).get(subject, 0)
        if not count:
            return []
        sub = await js.pull_subscribe(subject, stream=UPDATES.name)
        messages = await sub.fetch(count, timeout=2)
        assert len(messages) == count
        return messages
    finally:
        await nc.close()


async def token_for(app, county: str) -> str:  # type: ignore[no-untyped-def]
    return await tokens.issue_token(app.state.runtime.sessions, county, "test")


async def test_an_accepted_batch_is_in_jetstream_with_its_event_ids(settings: Settings) -> None:
    county = fresh_county()
    async with running(settings) as (client, app):
        token = await token_for(app, county)
        response = await client.post(f"/v1/counties/{county}/updates", json=[update("r-1"), update("r-2")], headers=bearer(token))
        assert response.status_code == 202, response.text
        body = response.json()
        assert (body["accepted"], body["rejected"]) == (2, 0)
        assert [(result["index"], result["status"]) for result in body["results"]] == [(0, "accepted"), (1, "accepted")]
        messages = await stored(settings.nats_url, county)
    events = [ProjectUpdated.model_validate_json(message.data) for message in messages]
    assert [str(event.event_id) for event in events] == [result["event_id"] for result in body["results"]]
    assert [message.headers["Nats-Msg-Id"] for message in messages] == [result["event_id"] for result in body["results"]]
    assert {(event.county_code, event.occurred_at, event.update.source_record_id) for event in events} == {
        (county, NOW, "r-1"), (county, NOW, "r-2"),
    }
    assert all(event.correlation_id == str(event.event_id) for event in events)


async def test_posting_the_same_batch_again_gives_the_same_ids_and_jetstream_keeps_one_copy(settings: Settings) -> None:
    county = fresh_county()
    batch = [update("r-1"), update("r-2"), update("r-3")]
    async with running(settings) as (client, app):
        headers = bearer(await token_for(app, county))
        first = await client.post(f"/v1/counties/{county}/updates", json=batch, headers=headers)
        second = await client.post(f"/v1/counties/{county}/updates", json=batch, headers=headers)
    assert first.status_code == second.status_code == 202
    assert [r["event_id"] for r in first.json()["results"]] == [r["event_id"] for r in second.json()["results"]]
    assert len(await stored(settings.nats_url, county)) == 3


async def test_a_mixed_batch_publishes_the_valid_items_and_quarantines_the_others(settings: Settings) -> None:
    county = fresh_county()
    bad_date = update("r-2", land_parcel={"parcel_id": "P-1", "agreed_start_date": "2026-02-30"})
    unidentified = {k: v for k, v in update("r-3").items() if k != "project_code"}
    async with running(settings) as (client, app):
        headers = bearer(await token_for(app, county))
        response = await client.post(f"/v1/counties/{county}/updates", json=[update("r-1"), bad_date, unidentified, 42], headers=headers)
        assert response.status_code == 202, response.text
        results = response.json()["results"]
        assert [r["status"] for r in results] == ["accepted", "rejected", "rejected", "rejected"]
        assert [e["field"] for e in results[1]["errors"]] == ["land_parcel.agreed_start_date"]
        assert [e["field"] for e in results[2]["errors"]] == ["item"]
        assert "project_code or local_id" in results[2]["errors"][0]["message"]

        page = await client.get(f"/v1/counties/{county}/rejected", headers=headers)
        assert page.status_code == 200
        body = page.json()
        assert body["total"] == 3
        kept = sorted(body["items"], key=lambda item: item["index"])
        assert [(item["index"], item["item"]) for item in kept] == [(1, bad_date), (2, unidentified), (3, 42)]
        assert kept[0]["errors"][0]["field"] == "land_parcel.agreed_start_date"
        assert {item["batch_id"] for item in kept} == {response.json()["batch_id"]}

        second_page = await client.get(f"/v1/counties/{county}/rejected?limit=2&offset=2", headers=headers)
        assert [item["id"] for item in second_page.json()["items"]] == [body["items"][2]["id"]]

        metrics = (await client.get("/metrics")).text
    assert f'intake_updates_total{{county="{county}",outcome="accepted"}} 1.0' in metrics
    assert f'intake_updates_total{{county="{county}",outcome="rejected"}} 3.0' in metrics
    assert "intake_publish_duration_seconds_count 1.0" in metrics
    [message] = await stored(settings.nats_url, county)
    assert ProjectUpdated.model_validate_json(message.data).update.source_record_id == "r-1"


async def test_a_batch_with_nothing_valid_is_422_and_still_quarantined(settings: Settings) -> None:
    county = fresh_county()
    async with running(settings) as (client, app):
        headers = bearer(await token_for(app, county))
        response = await client.post(f"/v1/counties/{county}/updates", json=[update("r-1", stage="flying")], headers=headers)
        assert response.status_code == 422
        assert response.json()["results"] == [
            {"index": 0, "status": "rejected", "errors": [{"field": "stage", "message": response.json()["results"][0]["errors"][0]["message"]}]},
        ]
        assert (await client.get(f"/v1/counties/{county}/rejected", headers=headers)).json()["total"] == 1
    assert await stored(settings.nats_url, county) == []


@pytest.mark.parametrize(
    ("body", "status"),
    [([], 422), ({"not": "a list"}, 422), ([update(f"r-{i}") for i in range(5001)], 413)],
)
async def test_a_batch_that_is_empty_not_a_list_or_too_big_is_refused_whole(settings: Settings, body: object, status: int) -> None:
    county = fresh_county()
    async with running(settings) as (client, app):
        headers = bearer(await token_for(app, county))
        response = await client.post(f"/v1/counties/{county}/updates", json=body, headers=headers)
        assert response.status_code == status
        assert (await client.get(f"/v1/counties/{county}/rejected", headers=headers)).json()["total"] == 0
    assert await stored(settings.nats_url, county) == []


async def test_tokens_open_only_their_own_county(settings: Settings) -> None:
    county, other = fresh_county(), fresh_county()
    async with running(settings) as (client, app):
        token = await token_for(app, county)
        path = f"/v1/counties/{county}/updates"
        assert (await client.post(path, json=[update("r-1")])).status_code == 401
        assert (await client.post(path, json=[update("r-1")], headers={"Authorization": f"Basic {token}"})).status_code == 401
        assert (await client.post(path, json=[update("r-1")], headers=bearer("tj_000000_guess"))).status_code == 401
        wrong = await client.post(f"/v1/counties/{other}/updates", json=[update("r-1")], headers=bearer(token))
        assert wrong.status_code == 403
        assert (await client.get(f"/v1/counties/{other}/rejected", headers=bearer(token))).status_code == 403
        assert (await client.post("/v1/counties/33010x/updates", json=[update("r-1")], headers=bearer(token))).status_code == 422

        assert (await client.post(path, json=[update("r-1")], headers=bearer(token))).status_code == 202  # cached now
        await tokens.revoke_token(app.state.runtime.sessions, token)
        revoked = await client.post(path, json=[update("r-2")], headers=bearer(token))
        assert revoked.status_code == 401
    assert len(await stored(settings.nats_url, county)) == 1
    assert await stored(settings.nats_url, other) == []


async def test_with_nats_unreachable_the_app_starts_not_ready_and_accepts_nothing(settings: Settings, unused_tcp_port: int) -> None:
    county = fresh_county()
    down = settings.model_copy(update={"nats_url": f"nats://127.0.0.1:{unused_tcp_port}", "nats_connect_wait_seconds": 0.2})
    async with running(down) as (client, app):
        assert (await client.get("/healthz")).status_code == 200
        ready = await client.get("/readyz")
        assert (ready.status_code, ready.json()) == (503, {"nats": False, "database": True})
        headers = bearer(await token_for(app, county))
        response = await client.post(f"/v1/counties/{county}/updates", json=[update("r-1"), update("r-2", stage="x")], headers=headers)
        assert response.status_code == 503
        assert response.headers["Retry-After"].isdigit()
        assert "results" not in response.json()
        assert (await client.get(f"/v1/counties/{county}/rejected", headers=headers)).json()["total"] == 0
        assert f'county="{county}"' not in (await client.get("/metrics")).text


async def test_when_nats_goes_away_posts_get_503_and_work_again_when_it_is_back(settings: Settings, nats_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    county = fresh_county()
    server = type(nats_server)(tmp_path / "own-nats")  # our own server: the session's is never stopped
    server.start()
    try:
        own = settings.model_copy(update={"nats_url": server.url})
        async with running(own) as (client, app):
            headers = bearer(await token_for(app, county))
            path = f"/v1/counties/{county}/updates"
            assert (await client.get("/readyz")).status_code == 200
            assert (await client.post(path, json=[update("r-1")], headers=headers)).status_code == 202
            port = server.port
            server.stop()
            response = await client.post(path, json=[update("r-2")], headers=headers)
            assert response.status_code == 503 and "Retry-After" in response.headers
            assert (await client.get("/readyz")).status_code == 503

            server.port = port
            server.start()
            for _ in range(100):
                if (await client.get("/readyz")).status_code == 200:
                    break
                await asyncio.sleep(0.05)
            again = await client.post(path, json=[update("r-2")], headers=headers)
            assert again.status_code == 202
        assert [m.headers["Nats-Msg-Id"] for m in await stored(server.url, county)][-1] == again.json()["results"][0]["event_id"]
    finally:
        server.stop()


async def test_health_readiness_and_an_app_registry_of_its_own(settings: Settings) -> None:
    async with running(settings) as (client, _):
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        ready = await client.get("/readyz")
        assert (ready.status_code, ready.json()) == (200, {"nats": True, "database": True})
        metrics = await client.get("/metrics")
        assert metrics.status_code == 200 and "intake_publish_duration_seconds" in metrics.text
    async with running(settings) as (client, _):  # a second app in the same process registers its metrics again
        assert (await client.get("/healthz")).status_code == 200


async def test_the_openapi_document_describes_the_contract(settings: Settings) -> None:
    async with running(settings) as (client, _):
        document = (await client.get("/openapi.json")).json()
    post = document["paths"]["/v1/counties/{county_code}/updates"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["items"] == {"$ref": "#/components/schemas/ProjectUpdate"}
    assert "source_record_time" in document["components"]["schemas"]["ProjectUpdate"]["properties"]
    assert {"202", "401", "403", "413", "422", "503"} <= set(post["responses"])


async def test_a_huge_rejected_item_is_kept_as_its_digest_and_head(settings: Settings) -> None:
    county = fresh_county()
    huge = update("r-huge", name="名" * 100_000)  # far past the name's 200 characters: rejected
    async with running(settings) as (client, app):
        token = await token_for(app, county)
        response = await client.post(f"/v1/counties/{county}/updates", json=[huge, update("r-1")], headers=bearer(token))
        kept = (await client.get(f"/v1/counties/{county}/rejected", headers=bearer(token))).json()["items"]
    assert response.status_code == 202 and response.json()["rejected"] == 1
    text = json.dumps(huge, ensure_ascii=True)
    assert kept[0]["item"]["truncated"] is True and kept[0]["item"]["chars"] == len(text)
    assert kept[0]["item"]["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert kept[0]["item"]["head"] == text[:4096] and kept[0]["errors"][0]["field"] == "name"


async def test_a_body_past_the_limit_is_413_and_a_deep_one_422(settings: Settings) -> None:
    county = fresh_county()
    async with running(settings.model_copy(update={"max_body_bytes": 4096})) as (client, app):
        token = await token_for(app, county)
        url, headers = f"/v1/counties/{county}/updates", {**bearer(token), "Content-Type": "application/json"}
        large = await client.post(url, json=[update(f"r-{n}") for n in range(40)], headers=headers)
        deep = await client.post(url, content=b"[" * 100_000 + b"]" * 100_000, headers=headers)
        fine = await client.post(url, json=[update("r-1")], headers=headers)
    assert large.status_code == 413 and "4096" not in large.json()["detail"] and "MB" in large.json()["detail"]
    assert deep.status_code == 413  # larger than the limit, too: refused before it is parsed
    assert fine.status_code == 202
    assert len(await stored(settings.nats_url, county)) == 1
