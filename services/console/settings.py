"""console configuration, from CONSOLE_* environment variables."""
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONSOLE_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/console.db"
    port: int = 8104
    escalation_url: str = "http://127.0.0.1:8102"
    # Cookies marked `Secure` (sent over HTTPS only): set it when the console is served over HTTPS, e.g. behind a TLS proxy.
    session_https_only: bool = False
    # The year's targets the overview compares against (speech: 开工率 70% by year end) [L].
    start_target_percent: int = 70
    completion_target_percent: int = 60
    production_target_percent: int = 50
    # Seconds between the live panel's polls of the read model.
    live_poll_seconds: int = 3
