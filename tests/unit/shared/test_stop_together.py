"""A service's consumers stop together: each waits for its last fetch to end, so in turn they took a second apiece."""
from __future__ import annotations

import asyncio
from typing import Any, cast

from shared.consumer import BatchConsumer, stop_together


class LastFetch:
    """A consumer whose stop waits until every consumer has begun stopping: one after another, it would wait forever."""

    def __init__(self, begun: list[str], everyone: asyncio.Event, name: str, of: int) -> None:
        self.begun, self.everyone, self.name, self.of = begun, everyone, name, of

    async def stop(self) -> None:
        self.begun.append(self.name)
        if len(self.begun) == self.of:
            self.everyone.set()
        await self.everyone.wait()


async def test_every_consumer_begins_stopping_before_any_has_finished() -> None:
    begun: list[str] = []
    everyone = asyncio.Event()
    consumers: list[Any] = [LastFetch(begun, everyone, name, 3) for name in ("projects", "escalations", "cases")]
    await asyncio.wait_for(stop_together(cast(list[BatchConsumer], consumers)), timeout=5)
    assert sorted(begun) == ["cases", "escalations", "projects"]
