"""Tracker's own tables: current state, identities, stage history, the change log, and the plumbing."""
from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, MetaData, String, Table, Text

from shared.persistence import SequenceId, dead_letters_table, outbox_table, processed_events_table

metadata = MetaData()

projects = Table(
    "projects",
    metadata,
    Column("project_id", String(36), primary_key=True),
    Column("county_code", String(6), nullable=False),
    Column("project_code", String(24), nullable=True, unique=True),
    Column("name", String(200), nullable=True),
    Column("stage", String(20), nullable=True),
    Column("version", Integer, nullable=False),
    Column("state", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_projects_county", "county_code"),
)

# A county system's own id for a project; a project first known by one keeps it after it gets a 项目代码.
project_aliases = Table(
    "project_aliases",
    metadata,
    Column("county_code", String(6), primary_key=True),
    Column("local_id", String(200), primary_key=True),
    Column("project_id", String(36), ForeignKey("projects.project_id"), nullable=False),
)

stage_history = Table(
    "stage_history",
    metadata,
    Column("id", SequenceId, primary_key=True, autoincrement=True),
    Column("project_id", String(36), ForeignKey("projects.project_id"), nullable=False, index=True),
    Column("from_stage", String(20), nullable=True),
    Column("to_stage", String(20), nullable=False),
    Column("source_record_time", DateTime(timezone=True), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

# Append-only, one row per applied update: who (source system and record, sender), what (every changed
# path with its old and new value), when, which event, and which earlier events it corrected.
change_log = Table(
    "change_log",
    metadata,
    Column("id", SequenceId, primary_key=True, autoincrement=True),
    Column("project_id", String(36), ForeignKey("projects.project_id"), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("changes", JSON, nullable=False),  # [{"path", "old", "new"}, ...]
    Column("source_system", String(200), nullable=False),
    Column("source_record_id", String(200), nullable=False),
    Column("source_record_time", DateTime(timezone=True), nullable=False),
    Column("event_id", String(36), nullable=False),
    Column("note", Text, nullable=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("received_via", String(300), nullable=True),  # the upload or call that brought the update
    Column("submitted_by", String(200), nullable=True),  # the token's label and prefix, or the NATS account
    Column("corrects", JSON, nullable=True),  # event ids whose values this update corrected (same record time)
)

outbox = outbox_table(metadata)
processed_events = processed_events_table(metadata)
dead_letters = dead_letters_table(metadata)
