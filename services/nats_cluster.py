"""A JetStream cluster on loopback: three nats-servers from the wheel, routed to each other, a store each.

What production runs (deploy/k8s/nats.yaml: a StatefulSet of 3, streams at R3), on one machine, for
`python -m services.devrun --cluster 3` and the fault tests: a stream survives losing its leader's
server, and the services reconnect to another server from the URL list they were given.
"""
from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import nats

from services.launcher import NatsProcess, free_port
from shared.messaging import nats_servers
from shared.tls import client_tls


class NatsCluster:
    """`size` servers named n1…nN in cluster `name`; `url` lists every client URL (comma-separated, as NATS_URL takes it)."""

    def __init__(self, base_dir: Path, size: int = 3, logs: Path | None = None, die_with_parent: bool = False,
                 name: str = "tuijin") -> None:
        if size < 3:
            raise ValueError("a JetStream cluster needs at least 3 servers to keep a quorum when one goes")
        route_ports = [free_port() for _ in range(size)]
        routes = ",".join(f"nats://127.0.0.1:{port}" for port in route_ports)
        self.servers: dict[str, NatsProcess] = {}
        for index, route_port in enumerate(route_ports, start=1):
            server = f"n{index}"
            self.servers[server] = NatsProcess(
                base_dir / server, log=(logs / f"nats-{server}.log") if logs else None, die_with_parent=die_with_parent,
                extra_args=["--server_name", server, "--cluster_name", name, "--cluster", f"nats://127.0.0.1:{route_port}",
                            "--routes", routes],
            )
        self.store_dir = base_dir

    @property
    def url(self) -> str:
        return ",".join(server.url for server in self.servers.values())

    @property
    def monitor_port(self) -> int:
        return next(iter(self.servers.values())).monitor_port

    def start(self, timeout: float = 60) -> None:
        """Start every server (those already running are left alone), then wait until JetStream answers on each."""
        for server in self.servers.values():
            if server.process is None or server.process.poll() is not None:
                server.start()
        self.wait_ready(timeout)

    def wait_ready(self, timeout: float = 60) -> None:
        """Wait until every server's /healthz says it is current with the meta leader and its streams and consumers."""
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2, verify=client_tls()) as client:  # one for all the polls (see launcher.wait_until_ready)
            for server in self.servers.values():
                while not self._jetstream_ready(client, server):
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"JetStream cluster not ready within {timeout:.0f}s")
                    time.sleep(0.2)

    @staticmethod
    def _jetstream_ready(client: httpx.Client, server: NatsProcess) -> bool:
        try:  # 200 once the server is current with the meta leader and its streams
            return client.get(f"http://127.0.0.1:{server.monitor_port}/healthz").status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        for server in self.servers.values():
            server.stop(sig)

    def leader_of(self, stream: str) -> str:
        """The name of the server leading `stream`, as JetStream reports it."""

        async def ask() -> str:
            nc = await nats.connect(servers=nats_servers(self.url), connect_timeout=2, max_reconnect_attempts=2)
            try:
                info = await nc.jetstream().stream_info(stream)
            finally:
                await nc.close()
            if info.cluster is None or not info.cluster.leader:
                raise RuntimeError(f"{stream} has no leader")
            return info.cluster.leader

        return asyncio.run(ask())

    def wait_whole(self, streams: Sequence[str], durables: Sequence[tuple[str, str]] = (), timeout: float = 60) -> None:
        """Wait until every server is healthy and each stream and durable (stream, name) has a leader and
        every replica current: the state in which the cluster can lose another server."""
        self.wait_ready(timeout)
        deadline = time.monotonic() + timeout

        async def whole() -> bool:
            try:
                nc = await nats.connect(servers=nats_servers(self.url), connect_timeout=2, max_reconnect_attempts=2)
            except (nats.errors.Error, OSError, TimeoutError):
                return False
            try:
                js = nc.jetstream(timeout=2)
                infos = [await js.stream_info(stream) for stream in streams]
                infos += [await js.consumer_info(stream, durable) for stream, durable in durables]
            except (nats.errors.Error, TimeoutError):  # no leader yet (the request times out), or the server we asked is catching up
                return False
            finally:
                await nc.close()
            return all(info.cluster is not None and info.cluster.leader and len(info.cluster.replicas or []) == len(self.servers) - 1
                       and all(peer.current and not peer.offline for peer in info.cluster.replicas or []) for info in infos)

        while not asyncio.run(whole()):
            if time.monotonic() > deadline:
                raise TimeoutError(f"streams and consumers not whole again within {timeout:.0f}s")
            time.sleep(0.2)

    def restart(self, server: str, sig: int = signal.SIGTERM) -> None:
        """Stop one server (SIGTERM: as a rolling deployment does) and start it again on the same store and ports."""
        self.servers[server].stop(sig)
        self.servers[server].start()

    def pause(self, server: str) -> None:
        """SIGSTOP: the process keeps its sockets but answers nobody, peers nor clients (a partition, as they see it)."""
        process = self.servers[server].process
        assert process is not None and process.poll() is None, f"{server} is not running"
        process.send_signal(signal.SIGSTOP)

    def resume(self, server: str) -> None:
        process = self.servers[server].process
        assert process is not None
        process.send_signal(signal.SIGCONT)

    def clients_of(self, server: str) -> list[str]:
        """The names of the client connections on `server` (its monitoring endpoint /connz)."""
        connz = httpx.get(f"http://127.0.0.1:{self.servers[server].monitor_port}/connz", timeout=2, verify=client_tls()).json()
        return sorted(connection.get("name", "") for connection in connz.get("connections") or [])

    def kill_leader_of(self, stream: str, down_seconds: float = 2.0) -> str:
        """SIGKILL the server leading `stream`, leave it down a moment, start it again (same store, same ports)."""
        leader = self.leader_of(stream)
        self.servers[leader].stop(signal.SIGKILL)
        time.sleep(down_seconds)
        self.start()
        return leader
