"""tokens and quarantine

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL wants BIGINT.
SequenceId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "tokens",
        sa.Column("id", SequenceId, primary_key=True, autoincrement=True),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("token_hash", name="uq_tokens_token_hash"),
    )
    op.create_index("ix_tokens_county_code", "tokens", ["county_code"])
    op.create_index("ix_tokens_prefix", "tokens", ["prefix"])
    op.create_table(
        "quarantine",
        sa.Column("id", SequenceId, primary_key=True, autoincrement=True),
        sa.Column("county_code", sa.String(6), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("batch_id", sa.String(36), nullable=False),
        sa.Column("item_index", sa.Integer(), nullable=False),
        sa.Column("raw_item", sa.Text(), nullable=False),
        sa.Column("errors", sa.JSON(), nullable=False),
    )
    op.create_index("ix_quarantine_county_id", "quarantine", ["county_code", "id"])


def downgrade() -> None:
    op.drop_index("ix_quarantine_county_id", table_name="quarantine")
    op.drop_table("quarantine")
    op.drop_index("ix_tokens_prefix", table_name="tokens")
    op.drop_index("ix_tokens_county_code", table_name="tokens")
    op.drop_table("tokens")
