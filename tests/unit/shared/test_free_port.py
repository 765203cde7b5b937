"""Ports for servers the launcher and the tests start: never one an outgoing connection can take first."""
from __future__ import annotations

import socket

from services.launcher import _ephemeral_start, free_port


def test_ports_come_from_below_the_ephemeral_range_and_are_never_handed_out_twice() -> None:
    ports = [free_port() for _ in range(300)]
    assert len(set(ports)) == len(ports)
    assert all(20000 <= port < _ephemeral_start() for port in ports)


def test_a_port_in_use_is_not_handed_out() -> None:
    held = []
    try:  # hold most of a narrow slice of the range, then ask until one from the slice would have come up
        for port in range(20000, 20100):
            sock = socket.socket()
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                sock.close()
                continue
            held.append(sock)
        taken = {sock.getsockname()[1] for sock in held}
        assert not taken & {free_port() for _ in range(2000)}
    finally:
        for sock in held:
            sock.close()
