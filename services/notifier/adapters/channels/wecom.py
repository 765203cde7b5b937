"""WeCom (企业微信) group robot: markdown message to the robot's key URL."""
from __future__ import annotations

import json

import httpx

from services.notifier.adapters.channels.base import post_json, robot_result
from services.notifier.domain import Endpoint
from services.notifier.messages import Message

# 45009: api freq out of limit (20 a minute per robot); -1: system busy.
TRANSIENT_ERRCODES = frozenset({45009, -1})
# WeCom refuses markdown content over 4096 bytes of UTF-8 rather than cutting it.
MAX_CONTENT_BYTES = 4096
_ELLIPSIS = "\n\n……（内容过长已截断，详见系统）"


def fit_content(text: str, limit: int = MAX_CONTENT_BYTES) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    room = limit - len(_ELLIPSIS.encode("utf-8"))
    return data[:room].decode("utf-8", errors="ignore") + _ELLIPSIS


class WeComChannel:
    """The endpoint address is https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…; no secret."""

    name = "wecom"

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def send(self, endpoint: Endpoint, message: Message, delivery_key: str, *, person: str | None = None) -> None:
        content = fit_content(f"### {message.title}\n{message.text_markdown}")
        payload = json.dumps({"msgtype": "markdown", "markdown": {"content": content}}, ensure_ascii=False).encode("utf-8")
        response = await post_json(self._client, endpoint.address, self.name, payload)
        robot_result(response, self.name, TRANSIENT_ERRCODES)
