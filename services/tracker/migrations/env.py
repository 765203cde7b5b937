"""Alembic environment for tracker's database (schema `tracker` on PostgreSQL)."""
from services.tracker.tables import metadata
from shared.migration_env import run_migrations

run_migrations(metadata)
