"""Append-only JSON-lines outbox, for the embedded demo and for counties still on paper."""
from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from pathlib import Path

from services.notifier.adapters.channels.base import PermanentDeliveryError
from services.notifier.domain import Endpoint
from services.notifier.messages import Message


class FileChannel:
    """The endpoint address is a file path (relative to the working directory); parents are created.

    Sends that arrive together (a delivery round sends 20 at a time) are appended in one trip to a worker thread, file
    by file in the order they were sent: a trip of its own for each line cost ~250 µs of CPU per message. One writer
    at a time, so lines of concurrent deliveries never interleave, and a send returns once its line is written.
    """

    name = "file"

    def __init__(self, echo: bool = True) -> None:
        self._echo = echo
        self._waiting: list[tuple[Path, str, asyncio.Future[None]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def send(self, endpoint: Endpoint, message: Message, delivery_key: str, *, person: str | None = None) -> None:
        record = {
            "delivery_key": delivery_key,
            "person": person,
            "address": endpoint.address,
            "title": message.title,
            "text": message.text_markdown,
        }
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append((Path(endpoint.address), json.dumps(record, ensure_ascii=False) + "\n", written))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_waiting())
        try:
            await written
        except OSError as exc:  # a path we cannot write will not become writable by retrying
            raise PermanentDeliveryError(f"file: cannot write {endpoint.address}: {exc}") from exc
        if self._echo:
            print(f"【通知】{person or endpoint.address} ← {message.title}", flush=True)

    async def _write_waiting(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting, []
            try:
                errors = await asyncio.to_thread(_append_all, [(path, line) for path, line, _ in batch])
            except Exception as error:  # not an OSError of one file: every sender of the batch hears of it
                errors = [error] * len(batch)
            except BaseException:  # cancelled (the loop is closing): no sender waits forever
                for _, _, written in batch + self._waiting:
                    written.cancel()
                raise
            for (_, _, written), failed in zip(batch, errors, strict=True):
                if written.done():  # its sender was cancelled meanwhile
                    continue
                if failed is None:
                    written.set_result(None)
                else:
                    written.set_exception(failed)


def _append_all(lines: list[tuple[Path, str]]) -> list[Exception | None]:
    """Append each line to its file, in order; for each line, the error that kept it out (None: written)."""
    by_file: dict[Path, list[int]] = defaultdict(list)
    for position, (path, _) in enumerate(lines):
        by_file[path].append(position)
    errors: list[Exception | None] = [None] * len(lines)
    for path, positions in by_file.items():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as handle:
                handle.write("".join(lines[position][1] for position in positions))
        except OSError as error:
            for position in positions:
                errors[position] = error
    return errors
