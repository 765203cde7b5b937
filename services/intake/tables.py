"""Intake's own tables: county tokens (hashed) and the quarantine of rejected items."""
from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Index, Integer, LargeBinary, MetaData, String, Table, Text, UniqueConstraint

from shared.persistence import SequenceId

metadata = MetaData()

tokens = Table(
    "tokens",
    metadata,
    Column("id", SequenceId, primary_key=True, autoincrement=True),
    Column("county_code", String(6), nullable=False, index=True),
    Column("label", String(200), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("prefix", String(40), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("token_hash", name="uq_tokens_token_hash"),
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", SequenceId, primary_key=True, autoincrement=True),
    Column("county_code", String(6), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("batch_id", String(36), nullable=False),
    Column("item_index", Integer, nullable=False),
    Column("raw_item", Text, nullable=False),
    Column("errors", JSON, nullable=False),
    # Where a rejected item came from when it was not the JSON API: an upload job and its row.
    Column("job_id", String(36), nullable=True, index=True),
    Column("row_number", Integer, nullable=True),
    Column("resubmitted_at", DateTime(timezone=True), nullable=True),
    Index("ix_quarantine_county_id", "county_code", "id"),
)

# Feeds beyond the JSON API (spreadsheet uploads, pull adapters): the original files, content-addressed,
# the upload jobs with their progress, and each pull adapter's cursor.
stored_files = Table(
    "stored_files",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("county_code", String(6), nullable=False),
    Column("filename", String(300), nullable=False),
    Column("size", Integer, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("stored_at", DateTime(timezone=True), nullable=False),
)

upload_jobs = Table(
    "upload_jobs",
    metadata,
    Column("job_id", String(36), primary_key=True),
    Column("county_code", String(6), nullable=False),
    Column("profile", String(100), nullable=False),
    Column("profile_version", Integer, nullable=False),
    Column("file_sha256", String(64), nullable=False),
    Column("filename", String(300), nullable=False),
    Column("status", String(20), nullable=False),  # queued | running | done | failed
    Column("rows_total", Integer, nullable=False),
    Column("rows_accepted", Integer, nullable=False),
    Column("rows_rejected", Integer, nullable=False),
    Column("error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
    Index("ix_upload_jobs_county", "county_code", "created_at"),
)

pull_cursors = Table(
    "pull_cursors",
    metadata,
    Column("county_code", String(6), primary_key=True),
    Column("source", String(100), primary_key=True),
    Column("cursor", Text, nullable=True),
    Column("last_pulled_at", DateTime(timezone=True), nullable=True),
    Column("last_error", Text, nullable=True),
)
