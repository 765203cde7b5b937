"""`make run`: the whole system on one machine: nats-server from the wheel, four processes, SQLite.

Starts JetStream (store under ./var/nats, on a port of its own: a system NATS may hold 4222), the
four services and the web console as separate processes with one SQLite file each, issues the demo
counties' tokens and console logins,
posts the demo ledgers through the HTTP API like a county system would, and prints escalations
and notifications as they happen. Ctrl-C stops everything; the next run resumes from ./var/.
"""
from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path

import nats

from services.devrun_demo import follow_pipeline, issue_demo_people, issue_demo_tokens, post_demo_data
from services.launcher import NatsProcess, ServiceProcesses, free_port

VAR = Path.cwd() / "var"


def main() -> None:
    (VAR / "logs").mkdir(parents=True, exist_ok=True)
    nats_server = NatsProcess(VAR / "nats", free_port(14222), free_port(18222), VAR / "logs" / "nats-server.log")
    nats_server.start()
    demo_env = {"ESCALATION_SWEEP_INTERVAL_SECONDS": "30", "ESCALATION_CLOCK": os.environ.get("TUIJIN_CLOCK", "real"),
                "NOTIFIER_FILE_ROOT": str(Path.cwd())}
    demo_env["CONSOLE_CLOCK"] = demo_env["ESCALATION_CLOCK"]
    services = ServiceProcesses(nats_server.url, VAR, extra_env=demo_env, preferred_ports=True, console=True)
    try:
        services.start_all()
        tokens = asyncio.run(issue_demo_tokens(services.database["intake"][0]))
        logins = asyncio.run(issue_demo_people(services.database["escalation"][0]))
        print_banner(services, nats_server, tokens)
        print_logins(services, logins)
        asyncio.run(follow(nats_server.url, services.url("intake"), tokens))
    except KeyboardInterrupt:
        print("\nstopping…")
    finally:
        services.stop_all()
        nats_server.stop()
        print("stopped; state kept under ./var (run again to resume)")


def print_banner(services: ServiceProcesses, nats_server: NatsProcess, tokens: dict[str, str]) -> None:
    intake = services.url("intake")
    print("\n推进 Tuijin is running (Ctrl-C stops everything)\n")
    print(f"  HTTP API for county systems and reads: {intake}   (OpenAPI: {intake}/docs)")
    for name in services.names:
        print(f"  {name:<11} metrics: {services.url(name)}/metrics   ready: {services.url(name)}/readyz")
    print(f"  nats-server: {nats_server.url} (monitoring http://127.0.0.1:{nats_server.monitor_port}), store {nats_server.store_dir}")
    print("  development mode: NATS runs without accounts on 127.0.0.1, and the service token is new on every run"
          " (compose and Kubernetes run with accounts and per-deployment secrets: SECURITY.md)")
    print(f"  logs: {services.logs}   notifications (file channel): {VAR / 'notifier' / 'outbox'}\n")
    print("  Demo county tokens (new on every run; the previous ones are revoked):")
    for county, token in tokens.items():
        print(f"    {county}: {token}")
    county, token = next(iter(tokens.items()))
    print(f"\n  Try:  TUIJIN_URL={intake} TUIJIN_TOKEN={token} .venv/bin/tuijin escalations {county}\n")


def print_logins(services: ServiceProcesses, logins: dict[str, list[tuple[str, str, str]]]) -> None:
    print(f"  Web console (挂图作战): {services.url('console')}   sign in with a login and its password:")
    for county, people in logins.items():
        for login, password, role in people:
            print(f"    {county} {role:<10} {login:<16} {password}")
    print()


async def follow(nats_url: str, intake_url: str, tokens: dict[str, str]) -> None:
    nc = await nats.connect(nats_url)
    try:
        await follow_pipeline(nc)
        print(json.dumps(await post_demo_data(intake_url, tokens), ensure_ascii=False))
        await asyncio.Event().wait()  # follow until Ctrl-C
    finally:
        await nc.close()


if __name__ == "__main__":
    main()
