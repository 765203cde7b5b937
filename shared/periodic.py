"""A background round every N seconds until stopped: the backlog reader and the sweep both run on it."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Periodic:
    def __init__(self, name: str, interval_seconds: float, round_: Callable[[], Awaitable[object]]) -> None:
        self._name, self._interval, self._round = name, interval_seconds, round_
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._wake = asyncio.Event()

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        self._stopping = False
        self._wake = asyncio.Event()
        self._task = asyncio.create_task(self._loop(), name=self._name)

    async def stop(self) -> None:
        # The flag as well as the cancel: a library may turn the cancellation into a timeout the loop survives.
        self._stopping = True
        self._wake.set()
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _loop(self) -> None:
        while not self._stopping:
            try:
                await self._round()
            except Exception:  # a failed round is retried at the next one; the service keeps working
                log.exception("%s round failed", self._name)
            try:  # the interval, cut short by stop()
                await asyncio.wait_for(self._wake.wait(), self._interval)
            except TimeoutError:
                pass
