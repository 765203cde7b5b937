"""Intake's own tables: county tokens (hashed) and the quarantine of rejected items."""
from __future__ import annotations

from sqlalchemy import JSON, Column, DateTime, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

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
    Index("ix_quarantine_county_id", "county_code", "id"),
)
