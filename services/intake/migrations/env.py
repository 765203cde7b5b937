"""Alembic entry point for intake's migrations."""
from services.intake.tables import metadata
from shared.migration_env import run_migrations

run_migrations(metadata)
