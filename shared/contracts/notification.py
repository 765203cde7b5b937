"""notifier → anyone: a message was delivered to one recipient over one channel."""
from __future__ import annotations

from uuid import UUID

from pydantic import Field

from shared.contracts.base import Event
from shared.contracts.escalation import Recipient
from shared.contracts.types import UtcDatetime


class NotificationSent(Event):
    delivery_key: str = Field(description="escalation event id, recipient and channel: stable across retries")
    escalation_event_id: UUID
    escalation_id: UUID
    recipient: Recipient
    person: str
    channel: str
    sent_at: UtcDatetime
    digest_size: int = Field(default=1, ge=1, description="more than one when a rate limit folded messages into a digest")
