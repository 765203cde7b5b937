"""Tracker configuration, from TRACKER_* environment variables."""
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="TRACKER_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/tracker.db"
    port: int = 8101
