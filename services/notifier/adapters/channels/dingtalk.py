"""DingTalk custom robot (自定义机器人): markdown message, optional 加签 signature in the query."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable

import httpx

from services.notifier.adapters.channels.base import post_json, robot_result
from services.notifier.domain import Endpoint
from services.notifier.messages import Message

# 130101: more than 20 messages a minute; -1: system busy. Both pass if we wait.
TRANSIENT_ERRCODES = frozenset({130101, -1})


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")); the caller URL-encodes it once."""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _now_ms() -> int:
    return int(time.time() * 1000)


class DingTalkChannel:
    """The endpoint address is the robot URL with its access_token; the secret is its SEC… key.

    A robot guarded by keywords (自定义关键词) rejects messages without one; put the keyword in the
    title prefix the county uses, e.g. 【预警】.
    """

    name = "dingtalk"

    def __init__(self, client: httpx.AsyncClient, clock_ms: Callable[[], int] = _now_ms) -> None:
        self._client = client
        self._clock_ms = clock_ms

    async def send(self, endpoint: Endpoint, message: Message, delivery_key: str, *, person: str | None = None) -> None:
        url = httpx.URL(endpoint.address)
        if endpoint.secret:
            # DingTalk rejects a timestamp more than an hour off, so sign at send time, never earlier.
            timestamp = self._clock_ms()
            url = url.copy_merge_params({"timestamp": str(timestamp), "sign": dingtalk_sign(endpoint.secret, timestamp)})
        body = {
            "msgtype": "markdown",
            "markdown": {"title": message.title, "text": f"### {message.title}\n\n{message.text_markdown}"},
        }
        payload = json.dumps(body, ensure_ascii=False).encode("utf-8")
        response = await post_json(self._client, url, self.name, payload)
        robot_result(response, self.name, TRANSIENT_ERRCODES)
