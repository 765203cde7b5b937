"""Alembic environment for console's database (schema `console` on PostgreSQL)."""
from services.console.tables import metadata
from shared.migration_env import run_migrations

run_migrations(metadata)
