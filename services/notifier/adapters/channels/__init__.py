"""Delivery channels, one module each, and the factory the service uses to build them all."""
from __future__ import annotations

import httpx

from services.notifier.adapters.channels.base import Channel, DeliveryError, PermanentDeliveryError, TransientDeliveryError
from services.notifier.adapters.channels.dingtalk import DingTalkChannel
from services.notifier.adapters.channels.email import EmailChannel
from services.notifier.adapters.channels.file import FileChannel
from services.notifier.adapters.channels.webhook import WebhookChannel
from services.notifier.adapters.channels.wecom import WeComChannel

__all__ = [
    "Channel",
    "DeliveryError",
    "PermanentDeliveryError",
    "TransientDeliveryError",
    "build_channels",
]


def build_channels(smtp_url: str, client: httpx.AsyncClient, sender: str) -> dict[str, Channel]:
    """Every channel by name; the HTTP ones share `client` (its timeouts and pool apply to all)."""
    return {
        "webhook": WebhookChannel(client),
        "email": EmailChannel(smtp_url, sender),
        "dingtalk": DingTalkChannel(client),
        "wecom": WeComChannel(client),
        "file": FileChannel(),
    }
