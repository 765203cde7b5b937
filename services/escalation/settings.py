"""escalation configuration, from ESCALATION_* environment variables."""
from pathlib import Path

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ESCALATION_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/escalation.db"
    port: int = 8102
    policy_dir: Path = CONFIG_DIR / "policies"
    sweep_interval_seconds: float = 300.0
