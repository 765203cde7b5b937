"""Intake configuration, from INTAKE_* environment variables."""
from pydantic_settings import SettingsConfigDict

from services.intake.ingest import DEFAULT_MAX_BODY_BYTES
from shared.settings import ServiceSettings


class Settings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", env_file=".env", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///var/intake.db"
    database_schema: str | None = None
    nats_url: str = "nats://127.0.0.1:4222"
    tracker_url: str = "http://127.0.0.1:8101"
    escalation_url: str = "http://127.0.0.1:8102"
    notifier_url: str = "http://127.0.0.1:8103"
    host: str = "127.0.0.1"
    port: int = 8100
    # How long startup waits for NATS before serving anyway (not ready, posts answered 503).
    nats_connect_wait_seconds: float = 5.0
    # How long a batch may wait for JetStream's acks before intake answers 503.
    publish_timeout_seconds: float = 10.0
    # Timeout of a forwarded read to tracker, escalation or notifier.
    upstream_timeout_seconds: float = 10.0
    # A TOML file, or a directory of them, of pull adapters (config/pull/README.md); unset: none.
    # Run them in one intake replica only: two would pull the same pages (harmless, twice the load).
    pull_config: str | None = None
    # The largest body POST /updates (and the bus) accepts; larger is answered 413 before it is read.
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
