"""Composition root of intake: the HTTP API counties post to, its lifespan, metrics and health."""
from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import httpx
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi import Path as PathParam
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from nats.aio.client import Client as NatsClient
from prometheus_client import CollectorRegistry, Counter, Histogram, make_asgi_app
from pydantic import BaseModel, Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from services.intake import quarantine
from services.intake.body_limits import MULTIPART_SLACK, BodyLimitMiddleware, Limit
from services.intake.bus import BusFeed, start_bus_feed, stop_bus_feed
from services.intake.domain import MAX_BATCH, FieldError
from services.intake.frontdoor import Upstream, build_router
from services.intake.ingest import RETRY_AFTER_SECONDS, BatchRefused, BatchResult, Ingest, parse_batch
from services.intake.publishing import NatsLink, Publisher, PublishFailed
from services.intake.pull import PullScheduler, load_sources
from services.intake.settings import Settings
from services.intake.token_events import listen_for_revocations
from services.intake.tokens import identify
from services.intake.uploads import MAX_UPLOAD_BYTES, build_uploads_router, start_upload_worker, stop_upload_worker
from shared.clock import Clock, SystemClock, clock_from_setting
from shared.contracts import ProjectUpdate
from shared.contracts.types import COUNTY_CODE_PATTERN
from shared.database_away import answer_503_while_the_database_is_away
from shared.db import make_engine, migrate, session_factory
from shared.http_metrics import HttpMetricsMiddleware, HttpRequestMetrics
from shared.query_params import Offset, page_limit
from shared.service_token import bearer as service_bearer
from shared.service_token import require
from shared.stream_limits import load_stream_limits
from shared.tls import client_tls

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"


class QuarantinedItemOut(BaseModel):
    id: int
    batch_id: UUID
    index: int = Field(description="position of the item in its batch")
    received_at: datetime
    item: Any = Field(description="the item as it was posted; one larger than 16 KB as {truncated, sha256, chars, head}")
    errors: list[FieldError]


class RejectedPage(BaseModel):
    county_code: str
    total: int
    limit: int
    offset: int
    items: list[QuarantinedItemOut] = Field(description="newest first")


class Readiness(BaseModel):
    nats: bool
    database: bool


class Problem(BaseModel):
    detail: str


@dataclass
class Runtime:
    engine: AsyncEngine
    sessions: async_sessionmaker
    link: NatsLink
    publisher: Publisher
    http: httpx.AsyncClient
    ingest: Ingest


def runtime(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


bearer = HTTPBearer(auto_error=False, description="the county's token, `tj_<county>_...`")
CountyPath = Annotated[str, PathParam(pattern=COUNTY_CODE_PATTERN, description="6-digit county code (行政区划代码)", examples=["330106"])]


async def authorized_county(
    county_code: CountyPath,
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> str:
    """The path's county, once the bearer token is known, active, and that county's."""
    challenge = {"WWW-Authenticate": "Bearer"}
    if credentials is None:
        raise HTTPException(401, "a bearer token is required", headers=challenge)
    caller = await identify(runtime(request).sessions, credentials.credentials)
    if caller is None:
        raise HTTPException(401, "unknown or revoked token", headers=challenge)
    if caller.county_code != county_code:
        raise HTTPException(403, "this token belongs to another county")
    request.state.caller = caller  # named in the history of what it sends
    return county_code


AuthorizedCounty = Annotated[str, Depends(authorized_county)]
AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "missing, unknown or revoked token"},
    403: {"model": Problem, "description": "the token belongs to another county"},
}
UPDATES_BODY = {
    "required": True,
    "content": {"application/json": {"schema": {
        "type": "array", "minItems": 1, "maxItems": MAX_BATCH,
        "items": {"$ref": "#/components/schemas/ProjectUpdate"},
    }}},
}


async def _read_batch(request: Request, max_bytes: int) -> list[Any]:
    """The body was bounded by BodyLimitMiddleware before it was read."""
    try:
        return parse_batch(await request.body(), max_bytes)
    except BatchRefused as refused:
        raise HTTPException(refused.status, refused.detail) from refused


def create_app(settings: Settings, clock: Clock | None = None) -> FastAPI:
    clock = clock or SystemClock()
    registry = CollectorRegistry()
    updates_total = Counter("intake_updates_total", "Posted updates by outcome", ["county", "outcome"], registry=registry)
    publish_duration = Histogram("intake_publish_duration_seconds", "Time to publish a batch and get every ack", registry=registry)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await migrate(MIGRATIONS, settings.database_url, settings.database_schema)
        engine = make_engine(settings.database_url, settings.database_schema)
        sessions = session_factory(engine)
        feeds: list[BusFeed] = []

        async def serve_bus(nc: NatsClient) -> None:  # counties on the bus and token revocations, once NATS is there
            await listen_for_revocations(nc)
            feeds.append(await start_bus_feed(nc, ingest, settings.max_body_bytes))

        link = NatsLink(settings.nats_url, nkeys_seed=settings.nats_nkey_seed_file, on_ready=serve_bus,
                        stream_replicas=settings.stream_replicas, stream_limits=load_stream_limits(settings.streams_file),
                        ping_interval=settings.nats_ping_interval_seconds)
        publisher = Publisher(link, publish_duration, settings.publish_timeout_seconds)
        ingest = Ingest(publisher, sessions, clock, updates_total)
        await link.start(wait=settings.nats_connect_wait_seconds)
        service_token = settings.resolved_service_token()  # the upstreams' /internal/* doors ask for it
        http = httpx.AsyncClient(timeout=settings.upstream_timeout_seconds, verify=client_tls(),
                                 headers=service_bearer(service_token) if service_token else None)
        app.state.runtime = Runtime(engine, sessions, link, publisher, http, ingest)
        pull = PullScheduler(load_sources(settings.pull_config), sessions, publisher.publish, clock)
        await pull.start()
        await start_upload_worker(app, app.state.runtime, clock)
        try:
            yield
        finally:
            for feed in feeds:  # answers what it received before the link closes
                await stop_bus_feed(feed)
            await stop_upload_worker(app)
            await pull.stop()  # before the link closes: a page in flight is cancelled and its cursor stays
            await http.aclose()
            await link.close()
            await engine.dispose()

    app = FastAPI(
        title="Tuijin intake 推进·数据接入",
        version="1",
        description="Counties post partial updates of their key projects (重点项目); each valid item is published to "
        "JetStream as a `ProjectUpdated` event, each invalid one is quarantined with its reasons. The same "
        "token reads the county's projects, escalations and deliveries through this front door.",
        lifespan=lifespan,
    )

    @app.post(
        "/v1/counties/{county_code}/updates",
        tags=["updates"],
        summary="Post a batch of project updates / 上报项目更新",
        description=f"A JSON list of 1–{MAX_BATCH} `ProjectUpdate` items; each is validated on its own. "
        "202 only once JetStream stored every valid item. Re-posting the same source record gives the same "
        "event id, and JetStream keeps it once.",
        status_code=202,
        response_model=BatchResult,
        response_description="every valid item is stored in JetStream; one result per item",
        openapi_extra={"requestBody": UPDATES_BODY},
        responses={
            **AUTH_RESPONSES,
            413: {"model": Problem, "description": f"more than {MAX_BATCH} items, or a body larger than INTAKE_MAX_BODY_BYTES"},
            422: {"model": BatchResult, "description": "no valid item (per-item results; all quarantined), or a body that is not "
                  "JSON, not a non-empty list, or nested too deeply"},
            503: {"model": Problem, "description": "JetStream did not acknowledge (nothing accepted), or the database is away; "
                  "send it again after Retry-After seconds"},
        },
    )
    async def post_updates(county_code: AuthorizedCounty, request: Request) -> Any:
        items = await _read_batch(request, settings.max_body_bytes)
        try:
            result = await runtime(request).ingest(county_code, items, request.state.caller.name)
        except PublishFailed as error:
            log.warning("a batch of county %s not published: %s", county_code, error)
            return JSONResponse(
                {"detail": "JetStream did not acknowledge the batch; nothing was accepted, post it again"},
                status_code=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            )
        if not result.accepted:
            return JSONResponse(result.model_dump(mode="json"), status_code=422)
        return result

    @app.get(
        "/v1/counties/{county_code}/rejected",
        tags=["updates"],
        summary="Read quarantined items / 查看被拒条目",
        response_model=RejectedPage,
        responses=AUTH_RESPONSES,
    )
    async def get_rejected(
        county_code: AuthorizedCounty,
        request: Request,
        limit: int = page_limit(100, 1000),
        offset: Offset = 0,
    ) -> RejectedPage:
        sessions = runtime(request).sessions
        items = await quarantine.newest(sessions, county_code, limit, offset)
        return RejectedPage(
            county_code=county_code, total=await quarantine.count(sessions, county_code), limit=limit, offset=offset,
            items=[QuarantinedItemOut(**vars(item)) for item in items],
        )

    @app.get("/healthz", tags=["operations"], summary="Process is up / 存活")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], summary="NATS and database reachable / 就绪", response_model=Readiness,
             responses={503: {"model": Readiness, "description": "NATS or the database is not reachable"}})
    async def readyz(request: Request) -> Any:
        deps = runtime(request)
        readiness = Readiness(nats=deps.link.ready, database=await _database_ok(deps.engine))
        return JSONResponse(readiness.model_dump(), status_code=200 if readiness.nats and readiness.database else 503)

    upstreams = [
        Upstream("projects", "tracker", settings.tracker_url, "County projects / 项目查询"),
        Upstream("escalations", "escalation", settings.escalation_url, "County escalations / 督办事项"),
        Upstream("deliveries", "notifier", settings.notifier_url, "Notification deliveries / 通知记录"),
        Upstream("cases", "escalation", settings.escalation_url, "County cases, read-only / 督办单查询"),
        Upstream("as-of", "escalation", settings.escalation_url, "One project's rules as of a day / 项目按日查询"),
    ]
    app.include_router(build_router(upstreams, authorized_county, lambda request: runtime(request).http))
    app.include_router(build_uploads_router(authorized_county))
    metrics = make_asgi_app(registry)
    app.add_route("/metrics", _AsgiEndpoint(metrics), include_in_schema=False)  # no 307 to /metrics/
    app.mount("/metrics", metrics)
    app.add_middleware(BodyLimitMiddleware, limits=[
        Limit(re.compile(r"/v1/counties/[^/]+/updates"), settings.max_body_bytes, "a batch of updates"),
        Limit(re.compile(r"/v1/counties/[^/]+/uploads"), MAX_UPLOAD_BYTES + MULTIPART_SLACK, "an uploaded file"),
    ])
    answer_503_while_the_database_is_away(app)
    app.add_middleware(HttpMetricsMiddleware, metrics=HttpRequestMetrics(registry, "intake"))  # outermost: counts the 413s
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


class _AsgiEndpoint:
    """Starlette serves a class instance (not a function) as a plain ASGI app."""

    def __init__(self, app: Any) -> None:
        self._app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self._app(scope, receive, send)


async def _database_ok(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        return True
    except Exception:
        log.exception("database not reachable")
        return False


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's schema plus the ProjectUpdate contract the request body refers to (the body is read by hand,
    so that one bad item is a per-item rejection, not a 422 for the whole batch)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    contract = ProjectUpdate.model_json_schema(ref_template="#/components/schemas/{model}")
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name, definition in contract.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components["ProjectUpdate"] = contract
    app.openapi_schema = schema
    return schema


def main() -> None:
    import uvicorn

    from shared.runtime import tune_gc

    settings = Settings()
    require(settings.resolved_service_token(), "INTAKE_")
    tune_gc()
    uvicorn.run(create_app(settings, clock_from_setting(settings.clock)), host=settings.host, port=settings.port, access_log=False)


if __name__ == "__main__":
    main()
