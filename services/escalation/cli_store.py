"""How escalation's commands reach its store: the service's own settings, its migrations applied first."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation.settings import Settings
from shared.db import run_on_store

MIGRATIONS = Path(__file__).parent / "migrations"
T = TypeVar("T")


def on_store(work: Callable[[async_sessionmaker, Settings], Awaitable[T]]) -> T:
    settings = Settings()
    return run_on_store(MIGRATIONS, settings.database_url, settings.database_schema, lambda sessions: work(sessions, settings))
