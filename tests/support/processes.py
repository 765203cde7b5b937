"""The four services as real processes, the way `make run` and production run them."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.conftest import free_port

NAMES = ("intake", "tracker", "escalation", "notifier")


class Pipeline:
    def __init__(self, nats_url: str, workdir: Path, database_url: str | None, schema_prefix: str | None, clock: str) -> None:
        self.nats_url, self.workdir, self.clock = nats_url, workdir, clock
        self.ports = {name: free_port() for name in NAMES}
        self.database = {
            name: (database_url, f"{schema_prefix}_{name}") if database_url else (f"sqlite+aiosqlite:///{workdir / name}.db", None)
            for name in NAMES
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def env(self, name: str) -> dict[str, str]:
        prefix = name.upper() + "_"
        url, schema = self.database[name]
        env = {**os.environ, f"{prefix}NATS_URL": self.nats_url, f"{prefix}DATABASE_URL": url, f"{prefix}PORT": str(self.ports[name])}
        if schema:
            env[f"{prefix}DATABASE_SCHEMA"] = schema
        env.update({f"INTAKE_{other.upper()}_URL": self.url(other) for other in NAMES[1:]})
        env.update({"ESCALATION_CLOCK": self.clock, "ESCALATION_SWEEP_INTERVAL_SECONDS": "2", "NOTIFIER_FILE_ROOT": str(self.workdir)})
        return env

    def start(self, name: str) -> None:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115
        code = f"from services.{name}.app import main; main()"
        self.processes[name] = subprocess.Popen([sys.executable, "-c", code], env=self.env(name), stdout=log, stderr=log, cwd=self.workdir)
        self.wait_ready(name)

    def start_all(self) -> None:
        for name in NAMES:
            self.start(name)

    def wait_ready(self, name: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.processes[name].poll() is not None:
                raise RuntimeError(f"{name} exited: {(self.workdir / f'{name}.log').read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url(name)}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise TimeoutError(f"{name} not ready: {(self.workdir / f'{name}.log').read_text()[-3000:]}")

    def kill(self, name: str) -> None:
        """SIGKILL: no graceful shutdown, whatever was in hand is redelivered by JetStream."""
        self.processes[name].send_signal(signal.SIGKILL)
        self.processes[name].wait(10)

    def stop_all(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(40)
            except subprocess.TimeoutExpired:
                process.kill()
