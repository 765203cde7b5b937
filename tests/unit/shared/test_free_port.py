"""Ports for servers the launcher and the tests start: never one an outgoing connection can take first."""
from __future__ import annotations

import socket

from services.launcher import LISTEN_PORTS_FROM, RECENT_PORTS, _ephemeral_start, free_port, port_range


def test_ports_come_from_below_the_ephemeral_range_and_are_not_handed_out_twice_in_a_row() -> None:
    """Binding to port 0 four times in a row gave the same port twice in 6 of 20,000 tries here: a cluster's tracker and
    escalation then got one port, escalation could not bind it, and tracker answered escalation's readiness check."""
    ports = [free_port() for _ in range(1000)]
    assert all(len(set(ports[i:i + RECENT_PORTS])) == RECENT_PORTS for i in range(len(ports) - RECENT_PORTS))
    first, end = port_range()  # this test worker's slice (tests/conftest.py)
    assert all(first <= port < end for port in ports)
    assert LISTEN_PORTS_FROM <= first and end <= _ephemeral_start()


def test_a_port_in_use_is_not_handed_out() -> None:
    first, _ = port_range()
    held = []
    try:  # hold the first 100 ports of the range, then ask until some of them would have come up
        for port in range(first, first + 100):
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
