"""`make run`: the whole system on one machine: nats-server from the wheel, four processes, SQLite.

Starts JetStream (store under ./var/nats, on a port of its own), the four services as separate
processes with one SQLite file each, issues the demo counties' tokens, posts the demo ledgers
through the HTTP API like a county system would, and prints escalations and notifications as
they happen. Ctrl-C stops everything; the next run resumes from what is stored under ./var/.
"""
from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import nats

from services.devrun_demo import follow_pipeline, issue_demo_tokens, post_demo_data

ROOT = Path.cwd()
VAR = ROOT / "var"
SERVICES = (("intake", 8100), ("tracker", 8101), ("escalation", 8102), ("notifier", 8103))


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def pick_port(preferred: int) -> int:
    if port_free(preferred):
        return preferred
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until(check, what: str, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise SystemExit(f"{what} did not come up within {timeout:.0f}s; see {VAR / 'logs'}")


def ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def start_nats(port: int, monitor_port: int) -> subprocess.Popen[bytes]:
    binary = Path(sys.executable).parent / "nats-server"
    log = open(VAR / "logs" / "nats-server.log", "ab")  # noqa: SIM115 - lives as long as the process
    process = subprocess.Popen([str(binary), "-a", "127.0.0.1", "-p", str(port), "-m", str(monitor_port), "-js",
                                "-sd", str(VAR / "nats")], stdout=log, stderr=log, start_new_session=True)
    wait_until(lambda: not port_free(port), "nats-server")
    return process


def service_env(name: str, port: int, nats_url: str, ports: dict[str, int]) -> dict[str, str]:
    prefix = name.upper() + "_"
    env = {**os.environ, f"{prefix}NATS_URL": nats_url, f"{prefix}DATABASE_URL": f"sqlite+aiosqlite:///{VAR / name}.db",
           f"{prefix}PORT": str(port), f"{prefix}HOST": "127.0.0.1"}
    if name == "intake":
        env.update({f"INTAKE_{other.upper()}_URL": f"http://127.0.0.1:{ports[other]}" for other in ("tracker", "escalation", "notifier")})
    if name == "escalation":
        env.setdefault("ESCALATION_SWEEP_INTERVAL_SECONDS", "30")
        env.setdefault("ESCALATION_CLOCK", os.environ.get("TUIJIN_CLOCK", "real"))
    if name == "notifier":
        env.setdefault("NOTIFIER_FILE_ROOT", str(ROOT))
    return env


def start_service(name: str, port: int, nats_url: str, ports: dict[str, int]) -> subprocess.Popen[bytes]:
    log = open(VAR / "logs" / f"{name}.log", "ab")  # noqa: SIM115
    code = f"from services.{name}.app import main; main()"
    return subprocess.Popen([sys.executable, "-c", code], env=service_env(name, port, nats_url, ports), stdout=log, stderr=log, start_new_session=True)


def stop(processes: list[tuple[str, subprocess.Popen[bytes]]]) -> None:
    """SIGTERM in reverse start order: services finish the message in hand, then NATS goes."""
    for name, process in reversed(processes):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(40)
            except subprocess.TimeoutExpired:
                print(f"{name} did not stop in 40 s; killing it")
                process.kill()


def main() -> None:
    (VAR / "logs").mkdir(parents=True, exist_ok=True)
    nats_port, monitor_port = pick_port(14222), pick_port(18222)
    ports = {name: pick_port(port) for name, port in SERVICES}
    nats_url = f"nats://127.0.0.1:{nats_port}"
    processes: list[tuple[str, subprocess.Popen[bytes]]] = [("nats-server", start_nats(nats_port, monitor_port))]
    try:
        for name, _ in SERVICES:
            processes.append((name, start_service(name, ports[name], nats_url, ports)))
        for name, _ in SERVICES:
            wait_until(lambda n=name: ready(f"http://127.0.0.1:{ports[n]}/readyz"), name)
        intake_url = f"http://127.0.0.1:{ports['intake']}"
        tokens = asyncio.run(issue_demo_tokens(f"sqlite+aiosqlite:///{VAR / 'intake'}.db"))
        print("\n推进 Tuijin is running (Ctrl-C stops everything)\n")
        print(f"  HTTP API (county systems, reads):  {intake_url}/docs")
        for name, _ in SERVICES:
            print(f"  {name:<11} metrics: http://127.0.0.1:{ports[name]}/metrics   ready: http://127.0.0.1:{ports[name]}/readyz")
        print(f"  nats-server: {nats_url} (monitoring http://127.0.0.1:{monitor_port}), store {VAR / 'nats'}")
        print(f"  logs: {VAR / 'logs'}   notifications (file channel): {VAR / 'notifier' / 'outbox'}\n")
        print("  Demo county tokens (new on every run; the old ones are revoked):")
        for county, token in tokens.items():
            print(f"    {county}: {token}")
        county, token = next(iter(tokens.items()))
        print(f"\n  Try:  curl -H 'Authorization: Bearer {token}' {intake_url}/v1/counties/{county}/escalations\n")
        asyncio.run(run_demo(nats_url, intake_url, tokens))
    except KeyboardInterrupt:
        print("\nstopping…")
    finally:
        stop(processes)
        print("stopped; state kept under ./var (run again to resume)")


async def run_demo(nats_url: str, intake_url: str, tokens: dict[str, str]) -> None:
    nc = await nats.connect(nats_url)
    try:
        await follow_pipeline(nc)
        summary = await post_demo_data(intake_url, tokens)
        print(json.dumps(summary, ensure_ascii=False))
        await asyncio.Event().wait()  # follow until Ctrl-C
    finally:
        await nc.close()


if __name__ == "__main__":
    main()
