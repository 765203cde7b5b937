"""Alembic environment for escalation's database (schema `escalation` on PostgreSQL)."""
from services.escalation.tables import metadata
from shared.migration_env import run_migrations

run_migrations(metadata)
