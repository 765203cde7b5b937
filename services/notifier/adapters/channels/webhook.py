"""Generic HTTPS webhook signed with the Standard Webhooks scheme (webhook-id/-timestamp/-signature)."""
from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from standardwebhooks import Webhook

from services.notifier.adapters.channels.base import PermanentDeliveryError, post_json
from services.notifier.domain import Endpoint
from services.notifier.messages import Message


def _utc_now() -> datetime:
    return datetime.now(UTC)


class WebhookChannel:
    """POST `{"delivery_key", "title", "text"}` as JSON to the endpoint URL.

    The endpoint secret is a Standard Webhooks secret: "whsec_" followed by base64 of at least
    24 random bytes (e.g. "whsec_" + base64.b64encode(os.urandom(32))). Receivers verify with
    `standardwebhooks.Webhook(secret).verify(body, headers)`; webhook-id is the delivery key,
    so a receiver can drop a retried delivery it already has.
    """

    name = "webhook"

    def __init__(self, client: httpx.AsyncClient, clock: Callable[[], datetime] = _utc_now) -> None:
        self._client = client
        self._clock = clock

    async def send(self, endpoint: Endpoint, message: Message, delivery_key: str, *, person: str | None = None) -> None:
        if not endpoint.secret:
            raise PermanentDeliveryError(f"webhook: endpoint {endpoint.address} has no whsec_ secret")
        payload = json.dumps(
            {"delivery_key": delivery_key, "title": message.title, "text": message.text_markdown},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        timestamp = self._clock()
        try:
            signature = Webhook(endpoint.secret).sign(delivery_key, timestamp, payload)
        except (ValueError, RuntimeError) as exc:  # binascii.Error is a ValueError: not base64
            raise PermanentDeliveryError(f"webhook: bad secret for {endpoint.address}: {exc}") from exc
        headers = {
            "webhook-id": delivery_key,
            "webhook-timestamp": str(int(timestamp.timestamp())),
            "webhook-signature": signature,
        }
        await post_json(self._client, endpoint.address, self.name, payload.encode("utf-8"), headers)
