"""Children that die with their parent: Linux's prctl(PR_SET_PDEATHSIG) for `make run`'s processes.

A runner killed without a chance to clean up (SIGKILL, OOM killer, a crash) must not leave
nats-server and the services running on their ports. The kernel sends the chosen signal to a child
the moment the thread that forked it exits; the setting survives exec, so it covers nats-server too.
Elsewhere than Linux this is a no-op and the runner's own signal handling is all there is.
"""
from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(sig: int = signal.SIGTERM, parent_pid: int | None = None) -> None:
    """Ask the kernel for `sig` when our parent exits; exit now if it already has (the race before the call)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)  # the running process's own libc: no lookup, safe after fork
    if libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)  # the parent died between fork and prctl: nobody is left to stop us


def preexec(sig: int = signal.SIGTERM) -> Callable[[], None]:
    """For subprocess.Popen(preexec_fn=...): runs in the child between fork and exec.

    The parent thread must outlive the child (the kernel watches the forking thread, not the
    process): start children from the runner's main thread.
    """
    parent_pid = os.getpid()
    return lambda: die_with_parent(sig, parent_pid)
