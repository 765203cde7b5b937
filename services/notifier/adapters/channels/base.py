"""The channel port: send one rendered message to one endpoint, and the two ways it can fail."""
from __future__ import annotations

from typing import Protocol

import httpx

from services.notifier.domain import Endpoint
from services.notifier.messages import Message


class DeliveryError(Exception):
    """A delivery failed; the subclass tells the service whether retrying can help."""


class TransientDeliveryError(DeliveryError):
    """Retry later: connection errors, timeouts, HTTP 408/429/5xx, SMTP 4xx, robot rate limits."""


class PermanentDeliveryError(DeliveryError):
    """Retrying the same message cannot succeed: HTTP 4xx, SMTP 5xx, robot errors other than limits."""


class Channel(Protocol):
    name: str

    async def send(self, endpoint: Endpoint, message: Message, delivery_key: str, *, person: str | None = None) -> None:
        """Deliver once; `person` only decorates (mail display name, file log), never routes."""
        ...


def raise_for_http_status(response: httpx.Response, channel: str) -> None:
    """Map a non-2xx answer: 408, 429 and 5xx are worth retrying, every other status is not."""
    status = response.status_code
    if 200 <= status < 300:
        return
    detail = f"{channel}: HTTP {status} from {response.request.url.copy_with(query=None)}: {response.text[:200]}"
    if status in (408, 429) or status >= 500:
        raise TransientDeliveryError(detail)
    raise PermanentDeliveryError(detail)


async def post_json(client: httpx.AsyncClient, url: str | httpx.URL, channel: str, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    """POST exact bytes (signatures cover them), mapping transport failures to transient errors."""
    try:
        response = await client.post(url, content=body, headers={"content-type": "application/json; charset=utf-8", **(headers or {})})
    except httpx.TransportError as exc:  # connect errors, timeouts, broken connections
        raise TransientDeliveryError(f"{channel}: {type(exc).__name__}: {exc}") from exc
    raise_for_http_status(response, channel)
    return response


def robot_result(response: httpx.Response, channel: str, transient_codes: frozenset[int]) -> None:
    """DingTalk and WeCom answer HTTP 200 with errcode; 0 is success, a limit code is transient."""
    try:
        payload = response.json()
        code = int(payload.get("errcode", -999))
    except (ValueError, AttributeError, TypeError) as exc:
        raise PermanentDeliveryError(f"{channel}: unreadable robot answer: {response.text[:200]}") from exc
    if code == 0:
        return
    detail = f"{channel}: errcode {code}: {payload.get('errmsg', '')}"
    if code in transient_codes:
        raise TransientDeliveryError(detail)
    raise PermanentDeliveryError(detail)
