"""Intake's HTTP metrics are labelled by route template, never by the raw path."""
from __future__ import annotations

import httpx
from fastapi import FastAPI
from prometheus_client import CollectorRegistry, make_asgi_app

from shared.http_metrics import HttpMetricsMiddleware, HttpRequestMetrics

UPDATES = "/v1/counties/{county_code}/updates"
JOB = "/v1/counties/{county_code}/uploads/{job_id}"


def app_with_metrics() -> tuple[FastAPI, CollectorRegistry]:
    registry = CollectorRegistry()
    app = FastAPI()

    @app.post(UPDATES, status_code=202)
    async def post_updates(county_code: str) -> dict[str, str]:
        return {"county": county_code}

    @app.get(JOB)
    async def get_job(county_code: str, job_id: int) -> dict[str, int]:
        return {"job": job_id}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("a bug")

    app.mount("/metrics", make_asgi_app(registry))
    app.add_middleware(HttpMetricsMiddleware, metrics=HttpRequestMetrics(registry, "intake"))
    return app, registry


def requests(registry: CollectorRegistry, method: str, route: str, status: str) -> float | None:
    return registry.get_sample_value("intake_http_requests_total", {"method": method, "route": route, "status": status})


async def test_requests_are_counted_by_route_template() -> None:
    app, registry = app_with_metrics()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://intake") as client:
        for county in ("330106", "330782", "330100"):
            assert (await client.post(f"/v1/counties/{county}/updates")).status_code == 202
        assert (await client.get("/v1/counties/330106/uploads/17")).status_code == 200
        assert (await client.get("/v1/counties/330106/uploads/not-a-number")).status_code == 422
        assert (await client.get("/v1/counties/330106/no-such-thing/42")).status_code == 404
        assert (await client.get("/boom")).status_code == 500
        assert (await client.request("PROPFIND", "/boom")).status_code == 405
        assert (await client.get("/metrics/")).status_code == 200

    assert requests(registry, "POST", UPDATES, "202") == 3
    assert requests(registry, "GET", JOB, "200") == 1
    assert requests(registry, "GET", JOB, "422") == 1
    assert requests(registry, "GET", "unmatched", "404") == 1
    assert requests(registry, "GET", "/boom", "500") == 1
    assert requests(registry, "other", "/boom", "405") == 1
    assert requests(registry, "GET", "/metrics", "200") == 1
    assert registry.get_sample_value("intake_http_request_duration_seconds_count", {"method": "POST", "route": UPDATES}) == 3
    routes = {sample.labels["route"] for metric in registry.collect() if metric.name == "intake_http_requests"
              for sample in metric.samples if "route" in sample.labels}
    assert not any("330" in route for route in routes), routes  # no county code, no id ever becomes a label


async def test_lifespan_passes_through() -> None:
    app, registry = app_with_metrics()
    async with app.router.lifespan_context(app):
        pass
    assert registry.get_sample_value("intake_http_requests_total", {"method": "GET", "route": "unmatched", "status": "404"}) is None
