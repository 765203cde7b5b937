"""Append-only JSON-lines outbox, for the embedded demo and for counties still on paper."""
from __future__ import annotations

import asyncio
import json
from pathlib import Path

from services.notifier.adapters.channels.base import PermanentDeliveryError
from services.notifier.domain import Endpoint
from services.notifier.messages import Message


class FileChannel:
    """The endpoint address is a file path (relative to the working directory); parents are created."""

    name = "file"

    def __init__(self, echo: bool = True) -> None:
        self._echo = echo
        # One writer at a time, so lines of concurrent deliveries never interleave.
        self._lock = asyncio.Lock()

    async def send(self, endpoint: Endpoint, message: Message, delivery_key: str, *, person: str | None = None) -> None:
        record = {
            "delivery_key": delivery_key,
            "person": person,
            "address": endpoint.address,
            "title": message.title,
            "text": message.text_markdown,
        }
        line = json.dumps(record, ensure_ascii=False) + "\n"
        async with self._lock:
            try:
                await asyncio.to_thread(_append, Path(endpoint.address), line)
            except OSError as exc:  # a path we cannot write will not become writable by retrying
                raise PermanentDeliveryError(f"file: cannot write {endpoint.address}: {exc}") from exc
        if self._echo:
            print(f"【通知】{person or endpoint.address} ← {message.title}", flush=True)


def _append(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line)
