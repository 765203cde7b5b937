"""notifier configuration, from NOTIFIER_* environment variables."""
from pathlib import Path

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings

CONFIG_DIR = Path(__file__).resolve().parents[2] / "config"


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/notifier.db"
    port: int = 8103
    routing_dir: Path = CONFIG_DIR / "routing"
    file_root: Path = Path(".")  # relative file-channel addresses are resolved here
    smtp_url: str = "smtp://127.0.0.1:1025"
    mail_sender: str = "tuijin@localhost"
    robot_messages_per_minute: int = 20  # DingTalk and WeCom robots allow 20 a minute
    # escalation's HTTP API as recipients reach it: bulletin links (/internal/counties/…/bulletins/…) are joined to it
    escalation_public_url: str = "http://127.0.0.1:8102"
    # How long a replica may hold claimed deliveries before another replica may send them (a crashed one's are resent).
    claim_seconds: float = 120.0
