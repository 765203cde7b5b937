"""Request bodies bounded before they are read: a declared Content-Length past the route's limit is answered
413 without the body reaching the app (nothing parsed or spooled); a chunked body past the limit is cut off
as it streams in and answered 413 as well.

A body of up to DRAIN_MAX_BYTES is read and thrown away before the 413: a client still sending when the
server closes gets a connection reset instead of the answer. Past that the connection is closed at once.

A pure ASGI middleware: Starlette parses a multipart upload (spooling it to disk) before any route code or
dependency runs, so only a layer in front of the app can refuse it first.
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MULTIPART_SLACK = 64 * 1024  # the form's boundaries, headers and small fields around the file
DRAIN_MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Limit:
    path: re.Pattern[str]
    max_bytes: int
    what: str  # for the message: "a batch of updates", "an uploaded file"


class BodyTooLarge(Exception):
    pass


def refusal(limit: Limit) -> bytes:
    megabytes = limit.max_bytes / 1024 / 1024
    detail = f"{limit.what} may be at most {megabytes:.1f} MB / 请求内容过大，最多 {megabytes:.1f} MB"
    return json.dumps({"detail": detail}).encode()


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, limits: Sequence[Limit]) -> None:
        self.app, self._limits = app, tuple(limits)

    def _limit_for(self, scope: Scope) -> Limit | None:
        if scope["type"] != "http" or scope["method"] not in ("POST", "PUT", "PATCH"):
            return None
        return next((limit for limit in self._limits if limit.path.fullmatch(scope["path"])), None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = self._limit_for(scope)
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit.max_bytes:
            if int(declared) <= DRAIN_MAX_BYTES:
                await _drain(receive, int(declared))
            await _answer_413(send, limit)
            return
        received, overflowed, started = 0, False, False

        async def counted() -> Message:
            nonlocal received, overflowed
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.max_bytes:
                    overflowed = True
                    if message.get("more_body", False):
                        await _drain(receive, DRAIN_MAX_BYTES - received)
                    raise BodyTooLarge
            return message

        async def guarded(message: Message) -> None:
            nonlocal started
            if overflowed:  # the app's own answer to a cut body (400, 500): replaced by ours
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, guarded)
        except BodyTooLarge:
            pass
        if overflowed and not started:
            await _answer_413(send, limit)


async def _drain(receive: Receive, at_most: int) -> None:
    """Read and drop the rest of a refused body, up to `at_most` bytes."""
    while at_most > 0:
        message = await receive()
        if message["type"] != "http.request":
            return
        at_most -= len(message.get("body", b""))
        if not message.get("more_body", False):
            return


async def _answer_413(send: Send, limit: Limit) -> None:
    body = refusal(limit)
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
