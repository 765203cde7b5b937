"""HTTP request metrics for an ASGI app (intake): requests by method, route template and status, and latency.

The route label is the TEMPLATE Starlette matched (`/v1/counties/{county_code}/updates`), never the
raw path: county codes, job ids and project keys in paths would make the series count unbounded.
A pure ASGI middleware rather than BaseHTTPMiddleware: it does not buffer streamed responses (the
XLSX/CSV error reports) and costs a few microseconds a request.
"""
from __future__ import annotations

import time
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"  # 404s and slash redirects: one series, whatever path was asked for
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class HttpRequestMetrics:
    """Created once with the app's registry (the middleware itself may be built more than once)."""

    def __init__(self, registry: CollectorRegistry, prefix: str) -> None:
        self.requests = Counter(f"{prefix}_http_requests_total", "HTTP requests by method, route template and status",
                                ["method", "route", "status"], registry=registry)
        self.duration = Histogram(f"{prefix}_http_request_duration_seconds", "Time to answer an HTTP request, by route template",
                                  ["method", "route"], registry=registry, buckets=BUCKETS)


def route_template(scope: Scope, request: Scope) -> str:
    """The matched route's path template.

    FastAPI puts its own routes into the (shared) scope as `route`; plain Starlette routes and mounts
    (`/metrics`) are not put there, so those are found again among the app's routes, matching the
    request as it arrived (`request`, before routing rewrote path_params and root_path).
    """
    path = getattr(scope.get("route"), "path", None)
    if isinstance(path, str) and path:
        return path
    app: Any = request.get("app")
    for route in getattr(app, "routes", ()):
        match, _ = route.matches(request)
        path = getattr(route, "path", None)
        if match is not Match.NONE and isinstance(path, str) and path:
            return path
    return UNMATCHED


class HttpMetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: HttpRequestMetrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # lifespan and websockets pass through untouched
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request = dict(scope)  # routing updates the scope in place; the fallback match needs it as it came
        status = 500  # an exception before the response started is answered 500 by Starlette

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            method = scope["method"] if scope["method"] in METHODS else "other"
            route = route_template(scope, request)
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.duration.labels(method, route).observe(time.perf_counter() - started)
