"""A nats-server running the shipped deploy/nats/accounts.conf, with fresh nkeys, and county connections."""
from __future__ import annotations

import asyncio
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import nats
import nkeys
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.intake.bus import BusFeed
from services.intake.ingest import Ingest
from tests.conftest import NATS_BINARY, free_port, wait_for_port

DEPLOY = Path(__file__).resolve().parents[3] / "deploy" / "nats"
ACCOUNTS_CONF = DEPLOY / "accounts.conf"
COUNTY_A, COUNTY_B = "330106", "330782"
USERS = ("SERVICES", COUNTY_A, COUNTY_B)  # TUIJIN_NKEY_<user> in accounts.conf


def new_seed() -> str:
    return nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER).decode()


def public_key(seed: str) -> str:
    return nkeys.from_seed(bytearray(seed.encode())).public_key.decode()


def key_env(seeds: dict[str, str]) -> dict[str, str]:
    """The public keys the shipped config reads from the environment."""
    return {f"TUIJIN_NKEY_{user}": public_key(seed) for user, seed in seeds.items()}


def config_including_accounts(directory: Path, base: str = "") -> Path:
    """`base` + `include ./accounts.conf`, as nats.conf will have it (includes are relative to the file)."""
    (directory / "accounts.conf").symlink_to(ACCOUNTS_CONF)
    config = directory / "server.conf"
    config.write_text(f"{base}\ninclude ./accounts.conf\n")
    return config


def check_config(config: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`nats-server -t`: parse and validate a configuration without starting."""
    inherited = {name: value for name, value in os.environ.items() if not name.startswith("TUIJIN_NKEY_")}
    return subprocess.run([str(NATS_BINARY), "-t", "-c", str(config)], env={**inherited, **env},
                          capture_output=True, text=True, timeout=30)


@dataclass
class SecuredNats:
    directory: Path
    seeds: dict[str, str] = field(default_factory=lambda: {user: new_seed() for user in USERS})
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.directory / "nats.log"

    def start(self) -> None:
        config = config_including_accounts(self.directory)
        command = [str(NATS_BINARY), "-c", str(config), "-a", "127.0.0.1", "-p", str(self.port),
                   "-js", "-sd", str(self.directory / "store")]
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(command, env={**os.environ, **key_env(self.seeds)}, stdout=out, stderr=out)
        wait_for_port(self.port)

    async def logged(self, text: str, timeout: float = 2.0) -> bool:
        """Whether the server's log says `text` (it writes the violations it refused there)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while text not in self.log.read_text(errors="replace"):
            if asyncio.get_running_loop().time() > deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@dataclass
class County:
    """A county system's connection, recording the errors the server sends it (permissions violations)."""

    code: str
    seed: str
    nc: NatsClient
    errors: list[str] = field(default_factory=list)

    @property
    def user_key(self) -> str:
        return public_key(self.seed)  # what the server's log names the user by

    async def violations(self, expected: int = 0, timeout: float = 2.0) -> list[str]:
        """The violations so far, once `expected` of them arrived (or `timeout`; with 0, a short grace).

        A refused publish is answered before the PONG of a flush, a refused subscription may come after it.
        """
        await self.nc.flush()
        deadline = asyncio.get_running_loop().time() + (timeout if expected else 0.2)
        while len(self._violations()) < max(expected, 1) and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
        return self._violations()

    def _violations(self) -> list[str]:
        return [error for error in self.errors if "permissions violation" in error.lower()]


async def connect_county(server: SecuredNats, code: str) -> County:
    county = County(code, server.seeds[code], nc=NatsClient())

    async def on_error(error: Exception) -> None:
        county.errors.append(str(error))

    county.nc = await nats.connect(server.url, name=f"county-{code}", nkeys_seed_str=county.seed,
                                   error_cb=on_error, allow_reconnect=False)
    return county


class JetStreamOf:
    """What Publisher needs of NatsLink: the services' JetStream (NatsLink cannot log in with an nkey yet)."""

    def __init__(self, js: JetStreamContext) -> None:
        self._js = js

    def jetstream(self) -> JetStreamContext:
        return self._js


@dataclass
class Intake:
    nc: NatsClient
    js: JetStreamContext
    sessions: async_sessionmaker
    ingest: Ingest
    feed: BusFeed

    async def stored(self) -> int:
        return (await self.js.stream_info("UPDATES")).state.messages


async def services_connection(server: SecuredNats) -> NatsClient:
    return await nats.connect(server.url, name="intake-bus-test", nkeys_seed_str=server.seeds["SERVICES"])
