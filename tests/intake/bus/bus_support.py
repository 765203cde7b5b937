"""A nats-server running the accounts `tuijin nats init-accounts` writes (fresh nkeys), and county connections."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import nats
import nkeys
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.intake.bus import BusFeed
from services.intake.ingest import Ingest
from services.nats_accounts import init_accounts, known_counties, seed_path
from tests.conftest import NATS_BINARY, free_port, wait_for_port

DEPLOY = Path(__file__).resolve().parents[3] / "deploy" / "nats"
COUNTY_A, COUNTY_B = "330106", "330782"


def new_seed() -> str:
    return nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER).decode()


def public_key(seed: str) -> str:
    return nkeys.from_seed(bytearray(seed.encode())).public_key.decode()


def write_config(directory: Path, base: str = "", counties: tuple[str, ...] = (COUNTY_A, COUNTY_B)) -> tuple[Path, dict[str, str]]:
    """The layout the deployments mount: config/server.conf (`base`, or just the include line), accounts/accounts.conf,
    and the seeds; returns the config file and the seeds by user ("SERVICES" or a county code)."""
    init_accounts(directory / "accounts" / "accounts.conf", directory / "seeds", counties)
    config = directory / "config" / "server.conf"
    config.parent.mkdir(exist_ok=True)
    config.write_text(base or "include ../accounts/accounts.conf\n")  # the shipped nats.conf must include it itself
    seeds = {("SERVICES" if user == "services" else user): seed_path(directory / "seeds", user).read_text().strip()
             for user in ("services", *sorted(known_counties(directory / "seeds")))}
    return config, seeds


def check_config(config: Path) -> subprocess.CompletedProcess[str]:
    """`nats-server -t`: parse and validate a configuration without starting."""
    return subprocess.run([str(NATS_BINARY), "-t", "-c", str(config)], capture_output=True, text=True, timeout=30)


@dataclass
class SecuredNats:
    directory: Path
    base: str = ""  # configuration before the include line (the shipped nats.conf, or nothing)
    seeds: dict[str, str] = field(default_factory=dict)
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.directory / "nats.log"

    def start(self) -> None:
        config, self.seeds = write_config(self.directory, self.base)
        command = [str(NATS_BINARY), "-c", str(config), "-a", "127.0.0.1", "-p", str(self.port), "-m", str(free_port())]
        if "jetstream" not in self.base:  # the shipped nats.conf names its own store (the fixture points it here)
            command += ["-js", "-sd", str(self.directory / "store")]
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=out)
        wait_for_port(self.port)

    def reload(self) -> None:
        """What README's operations section says: signal a reload twice (nats-server 2.15 wires a county account
        that a reload added only on the next reload; the first leaves its requests with "no responders")."""
        assert self.process is not None
        for _ in range(2):
            before = self.log.read_text(errors="replace").count("Reloaded server configuration")
            self.process.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 10
            while self.log.read_text(errors="replace").count("Reloaded server configuration") == before:
                assert time.monotonic() < deadline, "nats-server did not reload"
                time.sleep(0.02)

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
