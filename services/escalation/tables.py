"""escalation's own tables: its projection of project facts, the escalations, and the plumbing."""
from __future__ import annotations

from sqlalchemy import JSON, Column, Date, DateTime, Index, Integer, MetaData, String, Table, Text

from shared.persistence import SequenceId, dead_letters_table, outbox_table, processed_events_table

metadata = MetaData()

# Built from tracker's events only (never from tracker's tables); the version guard keeps the newest.
project_facts = Table(
    "project_facts",
    metadata,
    Column("project_id", String(36), primary_key=True),
    Column("county_code", String(6), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("snapshot", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

escalations = Table(
    "escalations",
    metadata,
    Column("escalation_id", String(36), primary_key=True),
    Column("escalation_key", String(300), nullable=False),
    Column("project_id", String(36), nullable=False, index=True),
    Column("county_code", String(6), nullable=False),
    Column("rule_id", String(50), nullable=False),
    Column("rule_version", Integer, nullable=False),
    Column("policy_version", Integer, nullable=False),
    Column("subject", String(200), nullable=False),
    Column("occurrence", String(100), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("level", Integer, nullable=False),
    Column("level_name", String(100), nullable=False),
    Column("status", String(10), nullable=False),  # open | cleared
    Column("as_of", Date, nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("recipients", JSON, nullable=False),
    Column("summary", Text, nullable=False),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("cleared_at", DateTime(timezone=True), nullable=True),
    Index("ix_escalations_key_status", "escalation_key", "status"),
    Index("ix_escalations_county_status", "county_code", "status"),
)

escalation_history = Table(
    "escalation_history",
    metadata,
    Column("id", SequenceId, primary_key=True, autoincrement=True),
    Column("escalation_id", String(36), nullable=False, index=True),
    Column("kind", String(10), nullable=False),  # raised | escalated | resolved
    Column("level", Integer, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

# Work only one replica may do at a time (the sweep): held until `until`, renewed while working.
leases = Table(
    "leases",
    metadata,
    Column("name", String(50), primary_key=True),
    Column("holder", String(100), nullable=False),
    Column("until", DateTime(timezone=True), nullable=False),
)

outbox = outbox_table(metadata)
processed_events = processed_events_table(metadata)
dead_letters = dead_letters_table(metadata)
