"""County reads: intake checks the token, then forwards to the service that owns the data.

`/v1/counties/{c}/projects[/...]` → tracker, `/escalations[/...]` → escalation, `/deliveries[/...]` →
notifier, each at `/internal/counties/{c}/<resource>[/...]` with the query string as it came. Status
and body come back untouched; an unreachable service is a 502. The county's token is not forwarded.
"""
# No `from __future__ import annotations`: FastAPI must resolve the per-route dependency annotations.
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

import httpx
from fastapi import APIRouter, Depends, HTTPException, Request, Response

FORWARDED_HEADERS = ("accept", "accept-language", "if-none-match")


@dataclass(frozen=True)
class Upstream:
    resource: str
    service: str
    base_url: str
    summary: str


def upstream_path(county_code: str, resource: str, rest: str) -> str:
    """The internal path; dot segments are refused so a county can never climb into another county."""
    segments = [segment for segment in rest.split("/") if segment]
    if any(segment in (".", "..") for segment in segments):
        raise HTTPException(404, "not found")
    tail = "".join(f"/{quote(segment, safe='')}" for segment in segments)
    return f"/internal/counties/{county_code}/{resource}{tail}"


async def forward(client: httpx.AsyncClient, upstream: Upstream, county_code: str, rest: str, request: Request) -> Response:
    url = upstream.base_url.rstrip("/") + upstream_path(county_code, upstream.resource, rest)
    headers = {name: request.headers[name] for name in FORWARDED_HEADERS if name in request.headers}
    try:
        answer = await client.get(url, params=request.query_params.multi_items(), headers=headers)
    except httpx.HTTPError as error:
        raise HTTPException(502, f"{upstream.service} is unreachable: {type(error).__name__}") from error
    return Response(answer.content, answer.status_code, media_type=answer.headers.get("content-type"))


def build_router(
    upstreams: list[Upstream],
    authorized_county: Callable[..., Any],
    client_of: Callable[[Request], httpx.AsyncClient],
) -> APIRouter:
    router = APIRouter(tags=["reads (front door)"])
    responses: dict[int | str, dict[str, Any]] = {
        200: {"description": "the owning service's answer, unchanged (any of its status codes)", "content": {"application/json": {}}},
        401: {"description": "missing, unknown or revoked token"},
        403: {"description": "the token belongs to another county"},
        502: {"description": "the owning service is unreachable"},
    }
    for upstream in upstreams:
        _add(router, upstream, authorized_county, client_of, responses)
    return router


def _add(router: APIRouter, upstream: Upstream, authorized_county: Callable[..., Any], client_of: Callable[[Request], httpx.AsyncClient], responses: dict[int | str, dict[str, Any]]) -> None:
    County = Annotated[str, Depends(authorized_county)]

    async def collection(county_code: County, request: Request) -> Response:
        return await forward(client_of(request), upstream, county_code, "", request)

    async def item(county_code: County, rest: str, request: Request) -> Response:
        return await forward(client_of(request), upstream, county_code, rest, request)

    base = f"/v1/counties/{{county_code}}/{upstream.resource}"
    description = f"Forwarded to {upstream.service} `/internal/counties/{{county_code}}/{upstream.resource}` with the query string."
    router.add_api_route(base, collection, methods=["GET"], summary=upstream.summary, description=description,
                         responses=responses, response_class=Response, name=f"{upstream.resource}_list")
    router.add_api_route(f"{base}/{{rest:path}}", item, methods=["GET"], summary=f"{upstream.summary} (sub-path)",
                         description=description, responses=responses, response_class=Response, name=f"{upstream.resource}_item")
