"""Real local receivers for the channel tests: an HTTP app under uvicorn and an aiosmtpd server."""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from aiosmtpd.controller import Controller
from fastapi import FastAPI
from notifier_receiver import HttpReceiver, SmtpCapture, build_receiver


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture(scope="session")
def http_receiver() -> Iterator[HttpReceiver]:
    sock = _free_socket()
    receiver = HttpReceiver(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}")
    app: FastAPI = build_receiver(receiver.seen)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    yield receiver
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpCapture]:
    sock = _free_socket()
    port = sock.getsockname()[1]
    sock.close()  # aiosmtpd binds itself; the port stays free in practice on loopback
    capture = SmtpCapture(host="127.0.0.1", port=port)
    controller = Controller(capture, hostname="127.0.0.1", port=port)
    controller.start()
    yield capture
    controller.stop()

