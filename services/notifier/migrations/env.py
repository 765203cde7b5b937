"""Alembic environment for notifier's database (schema `notifier` on PostgreSQL)."""
from services.notifier.tables import metadata
from shared.migration_env import run_migrations

run_migrations(metadata)
