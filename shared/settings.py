"""Settings every service has; each service subclasses with its own env prefix (TRACKER_, ...)."""
from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.messaging import ACK_WAIT_SECONDS, PING_INTERVAL_SECONDS
from shared.service_token import resolve
from shared.stream_limits import STREAMS_FILE


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    nats_url: str = "nats://127.0.0.1:4222"
    database_url: str = "sqlite+aiosqlite:///var/service.db"
    database_schema: str | None = None
    host: str = "127.0.0.1"
    port: int = 8100
    clock: str = "real"  # real | fixed:<iso time> | offset:<±N[dhms]>
    # The services' nkey seed file (`tuijin nats init-accounts`), where nats-server runs with accounts.
    nats_nkey_seed_file: str | None = None
    # Seconds between PINGs to the NATS server: a server that stops answering is left after 2-3 of them.
    nats_ping_interval_seconds: int = PING_INTERVAL_SECONDS
    # How long a consumer may hold a message unacknowledged before JetStream hands it out again: what a killed
    # replica had in hand waits this long. Longer than the slowest batch, or batches are redelivered while in hand.
    nats_ack_wait_seconds: float = Field(ACK_WAIT_SECONDS, ge=1)
    # Copies JetStream keeps of each stream this service declares: 1 on one server, 3 on a cluster.
    stream_replicas: int = 1
    # Each stream's max age, max bytes and duplicate window; every service must read the same file.
    streams_file: Path = STREAMS_FILE
    # Shown on and checked at the services' /internal/* doors (shared/service_token.py); no default.
    service_token: str = ""
    service_token_file: Path | None = None

    def resolved_service_token(self) -> str:
        return resolve(self.service_token, self.service_token_file)
