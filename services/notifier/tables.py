"""notifier's own tables: the delivery log (one row per escalation event, recipient and channel)."""
from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Float, Index, Integer, MetaData, String, Table, Text

from shared.persistence import dead_letters_table, outbox_table, processed_events_table

metadata = MetaData()

# The idempotency guard and the record of what was sent: the key is unique, so a redelivered
# escalation event plans nothing new, and a row is marked sent exactly once.
deliveries = Table(
    "deliveries",
    metadata,
    Column("delivery_key", String(64), primary_key=True),
    Column("county_code", String(6), nullable=False),
    Column("escalation_event_id", String(36), nullable=False, index=True),
    Column("escalation_id", String(36), nullable=False),
    Column("event", JSON, nullable=True),  # rows planned before delivery_events held their event here
    Column("recipient", JSON, nullable=False),
    Column("person", String(100), nullable=False),
    Column("channel", String(20), nullable=False),
    Column("address", String(500), nullable=False),
    Column("fallback", Integer, nullable=False),  # 1: routed to the project office for want of a recipient
    Column("status", String(10), nullable=False),  # pending | sent | failed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", Text, nullable=True),
    Column("digest_id", String(64), nullable=True),
    # A replica claims due rows for a while before sending, so two replicas never send the same row.
    Column("claimed_by", String(64), nullable=True),
    Column("claimed_until", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Index("ix_deliveries_due", "status", "next_attempt_at"),
    Index("ix_deliveries_county", "county_code", "created_at"),
)

# Each planned event's body, once: its delivery rows (one per recipient and channel) point here by escalation_event_id,
# so the claim and the recording of a send rewrite a short row, not the event again (SQLite rewrites whole rows).
delivery_events = Table(
    "delivery_events",
    metadata,
    Column("event_id", String(36), primary_key=True),
    Column("event", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# One token bucket per rate-limited robot, shared by every replica (services/notifier/robot_budget.py):
# changed only by compare-and-set on `version`, so two replicas never spend the same token.
robot_budgets = Table(
    "robot_budgets",
    metadata,
    Column("robot_key", String(64), primary_key=True),  # sha256 of channel and address: no webhook token stored
    Column("tokens", Float, nullable=False),
    Column("updated", Float, nullable=False),  # wall-clock seconds: the replicas' one shared clock
    Column("version", Integer, nullable=False),
)

outbox = outbox_table(metadata)
processed_events = processed_events_table(metadata)
dead_letters = dead_letters_table(metadata)
