"""Service processes forked from a server that has imported the services once: the suite's spawner.

`python -c "from services.X.app import main; main()"` spends about a second of CPU importing FastAPI, SQLAlchemy,
FastStream and the service before main() runs, and the suite starts some 180 of them on a 2-core box. Here each
one is forked by multiprocessing's fork server, which imported them once per test worker. It is still a process
of its own: its own environment, working directory, session, log, event loop, connections, signals and exit
status, started through main() like `make run` starts it; only the imported modules are shared, copy on write.
`make run` and tests/ops/test_devrun.py keep the plain interpreter (services.launcher.run_python).
"""
from __future__ import annotations

import importlib
import multiprocessing
import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from services.launcher import CONSOLE, NAMES
from services.parent_death import die_with_parent as set_parent_death_signal
from shared.tls import client_tls
from tests.support.migrated import install_from_environment

_FORK_SERVER = multiprocessing.get_context("forkserver")
# Imported on first use inside a service, after the fork, so every forked service imported them again (~0.1 s of
# CPU per service start, about half of what a start cost): httpcore with the first httpx client, FastAPI's
# pydantic.v1 check when it builds routes, and uvicorn's protocols and loop when it starts serving.
_LAZY_IMPORTS = ["httpcore", "pydantic.v1", "uvicorn.protocols.http.auto", "uvicorn.protocols.websockets.auto",
                 "uvicorn.lifespan.on", "uvloop", "anyio._backends._asyncio"]
_FORK_SERVER.set_forkserver_preload([f"services.{name}.app" for name in (*NAMES, CONSOLE)] + _LAZY_IMPORTS + [__name__])
install_from_environment()  # in the fork server: its services' fresh SQLite files are copies of migrated ones too
client_tls()  # in the fork server: each service forked from it finds its TLS context made (~30 ms of CPU)


def _main(name: str, env: dict[str, str], cwd: str, log: str | None, die_with_parent: bool) -> None:
    """In the forked child: become what `run_python` would have started, then run the service."""
    os.setsid()
    if die_with_parent:
        set_parent_death_signal()
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    out = os.open(log or os.devnull, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(out)
    importlib.import_module(f"services.{name}.app").main()


class ForkedService:
    """The part of subprocess.Popen the launcher and the tests use, over a multiprocessing Process."""

    def __init__(self, process: multiprocessing.process.BaseProcess) -> None:
        self._process = process
        self.pid: int = process.pid  # type: ignore[assignment]

    def poll(self) -> int | None:
        return self._process.exitcode

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        if self._process.exitcode is None:
            raise subprocess.TimeoutExpired(f"services.{self._process.name}", timeout or 0)
        return self._process.exitcode

    def send_signal(self, sig: int) -> None:
        if self._process.exitcode is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self._process.terminate()

    def kill(self) -> None:
        self._process.kill()


def fork_service(name: str, env: Mapping[str, str], cwd: Path, log: Path | None, die_with_parent: bool) -> ForkedService:
    process = _FORK_SERVER.Process(target=_main, args=(name, dict(env), str(cwd), str(log) if log else None, die_with_parent),
                                   name=name, daemon=True)  # daemon: sent SIGTERM if still running when the test worker exits
    process.start()
    return ForkedService(process)
