"""Receivers for the integration tests: webhook, DingTalk and WeCom apps that check like the real ones, and an SMTP capture."""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

WEBHOOK_SECRET = "whsec_" + base64.b64encode(b"tuijin-integration-test-secret-32b").decode()
DINGTALK_SECRET = "SEC0123456789abcdef-integration"


@dataclass
class HttpReceiver:
    base_url: str
    seen: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class SmtpCapture:
    host: str
    port: int
    envelopes: list[Any] = field(default_factory=list)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]) -> str:
        # The mailbox's local part picks the answer, so one server covers every mapping.
        if address.startswith("busy@"):
            return "451 4.3.0 mailbox busy, try later"
        if address.startswith("nobody@"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def _dingtalk_expected_sign(timestamp: str) -> str:
    # Independent of the channel: the recipe from DingTalk's documentation, step by step.
    string_to_sign = f"{timestamp}\n{DINGTALK_SECRET}".encode()
    return base64.b64encode(hmac.new(DINGTALK_SECRET.encode("utf-8"), string_to_sign, digestmod=hashlib.sha256).digest()).decode()


def build_receiver(seen: list[dict[str, Any]]) -> FastAPI:
    app = FastAPI()

    @app.post("/webhook/{status}")
    async def webhook(status: int, request: Request) -> Response:
        body = await request.body()
        try:
            payload = Webhook(WEBHOOK_SECRET).verify(body, dict(request.headers))
        except WebhookVerificationError as exc:
            return JSONResponse({"error": str(exc)}, status_code=401)
        seen.append({"kind": "webhook", "payload": payload, "headers": dict(request.headers)})
        return JSONResponse({"ok": status == 200}, status_code=status)

    @app.post("/slow")
    async def slow() -> Response:
        await asyncio.sleep(2)
        return JSONResponse({})

    @app.post("/robot/send")
    async def dingtalk(request: Request) -> Response:
        query = request.query_params
        payload = await request.json()
        if "sign" in query:
            fresh = abs(int(query["timestamp"]) - time.time() * 1000) < 3_600_000
            if not fresh or not hmac.compare_digest(query["sign"], _dingtalk_expected_sign(query["timestamp"])):
                return JSONResponse({"errcode": 310000, "errmsg": "sign not match"})
        markdown = payload.get("markdown", {})
        if payload.get("msgtype") != "markdown" or not markdown.get("title") or not markdown.get("text"):
            return JSONResponse({"errcode": 40035, "errmsg": "缺少参数 json"})
        seen.append({"kind": "dingtalk", "payload": payload, "query": dict(query)})
        if query.get("access_token") == "too-fast":
            return JSONResponse({"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"})
        return JSONResponse({"errcode": 0, "errmsg": "ok"})

    @app.post("/cgi-bin/webhook/send")
    async def wecom(request: Request) -> Response:
        payload = await request.json()
        content = payload.get("markdown", {}).get("content", "")
        if payload.get("msgtype") != "markdown" or not content or len(content.encode("utf-8")) > 4096:
            return JSONResponse({"errcode": 40008, "errmsg": "invalid message type"})
        seen.append({"kind": "wecom", "payload": payload, "query": dict(request.query_params)})
        key = request.query_params.get("key")
        if key == "limited":
            return JSONResponse({"errcode": 45009, "errmsg": "api freq out of limit"})
        if key == "bad-key":
            return JSONResponse({"errcode": 93000, "errmsg": "invalid webhook url"})
        return JSONResponse({"errcode": 0, "errmsg": "ok"})

    return app
