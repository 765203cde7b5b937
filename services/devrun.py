"""`make run`: the whole system on one machine: nats-server from the wheel, four processes, SQLite.

Starts JetStream (store under ./var/nats, on a port of its own: a system NATS may hold 4222), the
four services and the web console as separate processes with one SQLite file each, issues the demo
counties' tokens and console logins,
posts the demo ledgers through the HTTP API like a county system would, and prints escalations
and notifications as they happen. The addresses it used go to var/addresses.json (the CLI's defaults).

Ctrl-C, SIGTERM and SIGHUP stop everything; the next run resumes from ./var/ (TUIJIN_VAR). Every
child gets SIGTERM from the kernel if this runner dies without cleaning up (services/parent_death.py);
with --with-parent (`make run`) the runner itself goes when make does.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

import nats

from services.addresses import var_dir, write_addresses
from services.devrun_demo import follow_pipeline, issue_demo_people, issue_demo_tokens, post_demo_data, posted_line
from services.launcher import CONSOLE, NAMES, NatsProcess, ServiceProcesses, free_port
from services.nats_cluster import NatsCluster
from services.parent_death import die_with_parent
from shared.messaging import nats_servers
from shared.wording import role_name

STOP_SIGNALS = (signal.SIGTERM, signal.SIGHUP)
SERVICE_NAMES = {"intake": "数据接收", "tracker": "项目跟踪", "escalation": "预警督办", "notifier": "消息通知", "console": "网页控制台"}


class StopRequested(KeyboardInterrupt):
    """SIGTERM or SIGHUP, handled like Ctrl-C: it unwinds whatever the runner is doing into the cleanup."""


def _stop(signum: int, _frame: FrameType | None) -> None:
    raise StopRequested(signal.Signals(signum).name)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m services.devrun", description=__doc__.split("\n")[0])
    parser.add_argument("--with-parent", action="store_true", help="stop when the parent process (make) exits")
    parser.add_argument("--cluster", type=int, default=1, choices=(1, 3),
                        help="nats-servers: 3 runs a JetStream cluster on loopback with every stream at R3")
    args = parser.parse_args(argv)
    if args.with_parent:
        die_with_parent(signal.SIGTERM, os.getppid())
    # Ctrl-C already raises KeyboardInterrupt (unless the shell that started us ignores it: a background job).
    for signum in STOP_SIGNALS:
        signal.signal(signum, _stop)
    var = var_dir()
    (var / "logs").mkdir(parents=True, exist_ok=True)
    nats_server: NatsProcess | NatsCluster = (
        NatsProcess(var / "nats", free_port(14222), free_port(18222), var / "logs" / "nats-server.log", die_with_parent=True)
        if args.cluster == 1 else NatsCluster(var / "nats-cluster", args.cluster, logs=var / "logs", die_with_parent=True))
    demo_env = {"ESCALATION_SWEEP_INTERVAL_SECONDS": "30", "ESCALATION_CLOCK": os.environ.get("TUIJIN_CLOCK", "real"),
                "NOTIFIER_FILE_ROOT": str(var.parent)}  # the routing files' file addresses start with var/
    demo_env |= {f"{name.upper()}_STREAM_REPLICAS": str(args.cluster) for name in (*NAMES, CONSOLE)}
    demo_env["CONSOLE_CLOCK"] = demo_env["ESCALATION_CLOCK"]
    services = ServiceProcesses(nats_server.url, var, extra_env=demo_env, preferred_ports=True, console=True, die_with_parent=True)
    try:
        nats_server.start()
        services.start_all()
        write_addresses({**services.urls(), "nats": nats_server.url}, var)
        tokens = asyncio.run(issue_demo_tokens(services.database["intake"][0], var))
        logins = asyncio.run(issue_demo_people(services.database["escalation"][0]))
        print_banner(services, nats_server, tokens, var)
        print_logins(services, logins)
        asyncio.run(follow(nats_server.url, services.url("intake"), tokens))
    except KeyboardInterrupt as stop:
        print(f"\n正在停止（{stop or 'Ctrl-C'}）…", flush=True)
    finally:
        for signum in STOP_SIGNALS:  # a second SIGTERM must not cut the cleanup short; a second Ctrl-C may
            signal.signal(signum, signal.SIG_IGN)
        services.stop_all()
        nats_server.stop()
        print(f"已停止；数据保存在 {var}（再次运行即从此继续）", flush=True)


def print_banner(services: ServiceProcesses, nats_server: NatsProcess | NatsCluster, tokens: dict[str, str], var: Path) -> None:
    intake = services.url("intake")
    print("\n推进 Tuijin 已启动（按 Ctrl-C 全部停止）\n")
    print(f"  县级系统报送与查询接口：{intake}   （接口文档：{intake}/docs）")
    print(f"  督办接口（督办件、人员、通报）：{services.url('escalation')}   （接口文档：{services.url('escalation')}/docs）")
    print(f"  命令行使用的地址：{var / 'addresses.json'}")
    for name in services.names:
        print(f"  {SERVICE_NAMES.get(name, name)}：监控指标 {services.url(name)}/metrics   就绪检查 {services.url(name)}/readyz")
    print(f"  消息服务 nats-server：{nats_server.url}（监控 http://127.0.0.1:{nats_server.monitor_port}），存储 {nats_server.store_dir}")
    print("  开发模式：NATS 在 127.0.0.1 上不设账户，服务令牌每次运行重新生成"
          "（docker compose 与 Kubernetes 部署使用账户和各自的密钥，见 SECURITY.md）")
    print(f"  日志：{services.logs}   通知（文件渠道）：{var / 'notifier' / 'outbox'}\n")
    print("  演示县的报送令牌（每次运行重新签发；上次运行的演示令牌已作废，您自己签发的令牌保留）：")
    for county, token in tokens.items():
        print(f"    {county}：{token}")
    county, token = next(iter(tokens.items()))
    print(f"\n  试一试：TUIJIN_TOKEN={token} .venv/bin/tuijin escalations {county}   （地址取自 addresses.json）\n")


def print_logins(services: ServiceProcesses, logins: dict[str, list[tuple[str, str, str]]]) -> None:
    print(f"  网页控制台（挂图作战）：{services.url('console')}   用下列账号和密码登录：")
    for county, people in logins.items():
        for login, password, role in people:
            print(f"    {county} {role_name(role):<6} {login:<16} {password}")
    print()


async def follow(nats_url: str, intake_url: str, tokens: dict[str, str]) -> None:
    nc = await nats.connect(servers=nats_servers(nats_url))
    try:
        await follow_pipeline(nc)
        print(posted_line(await post_demo_data(intake_url, tokens)), flush=True)
        await asyncio.Event().wait()  # follow until Ctrl-C
    finally:
        await nc.close()


if __name__ == "__main__":
    main(sys.argv[1:])
