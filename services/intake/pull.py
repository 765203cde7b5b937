"""Pull adapters: intake polls a county HTTP API (JSON pages behind a cursor) for systems that cannot push.

Each page goes through the HTTP API's own path (triage → publish → quarantine). The cursor moves only
after JetStream acknowledged the page: a crash repeats the page, and stable event ids make that harmless.
"""
from __future__ import annotations

import asyncio
import logging
import os
import tomllib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, uuid5

import httpx
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.intake import quarantine
from services.intake.domain import Origin, triage
from services.intake.tables import pull_cursors
from shared.clock import Clock, SystemClock
from shared.contracts import ProjectUpdated
from shared.contracts.types import is_county_code
from shared.tls import client_tls

log = logging.getLogger(__name__)
Publish = Callable[[Sequence[ProjectUpdated]], Awaitable[None]]
MAX_PAGES_PER_POLL = 1000  # a misbehaving API that never stops paging must not starve the other sources


@dataclass(frozen=True)
class PullSource:
    county_code: str
    source: str  # this adapter's name: with the county, the key of its cursor
    source_system: str  # stamped on items that do not name their system
    url: str
    items_path: str = "items"  # dotted path to the list of items in the JSON response; "" = the body itself
    next_cursor_path: str = "next_cursor"
    cursor_param: str = "cursor"
    page_size_param: str = "limit"
    page_size: int = 200
    interval_seconds: float = 300.0
    max_backoff_seconds: float = 3600.0
    auth_header: str | None = None
    auth_env: str | None = None  # the header's value (a secret) comes from this environment variable
    auth_prefix: str = ""
    timeout_seconds: float = 30.0
    enabled: bool = True


class PullError(Exception):
    """The county API did not give a usable page."""


def load_sources(path: str | Path | None) -> list[PullSource]:
    """The enabled sources of a TOML file, or of every *.toml in a directory; none when path is unset."""
    if path is None or not Path(path).exists():
        return []
    files = sorted(Path(path).glob("*.toml")) if Path(path).is_dir() else [Path(path)]
    sources = [PullSource(**table) for file in files for table in tomllib.loads(file.read_text("utf-8")).get("source", [])]
    for source in sources:
        if not is_county_code(source.county_code):
            raise ValueError(f"pull source {source.source!r}: not a 6-digit county code: {source.county_code!r}")
        if source.page_size < 1 or source.interval_seconds <= 0:
            raise ValueError(f"pull source {source.source!r}: page_size and interval_seconds must be positive")
    keys = [(s.county_code, s.source) for s in sources if s.enabled]
    if len(keys) != len(set(keys)):
        raise ValueError("two enabled pull sources share a (county_code, source): they would share a cursor")
    return [source for source in sources if source.enabled]


def dig(body: Any, path: str) -> Any:
    for key in filter(None, path.split(".")):
        if not isinstance(body, dict):
            return None
        body = body.get(key)
    return body


class PullScheduler:
    """One polling task per source; start/stop are called from intake's lifespan."""

    def __init__(self, sources: Sequence[PullSource], sessions: async_sessionmaker, publish: Publish,
                 clock: Clock | None = None, *, triage: Callable[..., Any] = triage,
                 keep: Callable[..., Awaitable[None]] = quarantine.keep, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.sources, self._sessions, self._publish = list(sources), sessions, publish
        self._clock, self._triage, self._keep = clock or SystemClock(), triage, keep
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def _http(self) -> httpx.AsyncClient:
        """Made on first pull: an intake pulling nothing holds no client."""
        if self._client is None:
            self._client = httpx.AsyncClient(transport=self._transport, verify=client_tls())
        return self._client

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._run(s), name=f"pull-{s.county_code}-{s.source}") for s in self.sources]

    async def stop(self) -> None:
        # A page cancelled mid-publish is not acknowledged, so its cursor stays and the next start repeats it.
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _run(self, source: PullSource) -> None:
        failures = 0
        while True:
            failures = 0 if await self.poll(source) else failures + 1
            # Retry on the next interval, then back off (doubling, capped) while the source keeps failing.
            delay = source.interval_seconds * 2 ** max(failures - 1, 0)
            await asyncio.sleep(min(delay, max(source.max_backoff_seconds, source.interval_seconds)))

    async def poll(self, source: PullSource) -> bool:
        """Pull pages until the source has nothing more; False (error recorded) if one failed."""
        try:
            for _ in range(MAX_PAGES_PER_POLL):
                if not await self.pull_page(source):
                    break
            return True
        except asyncio.CancelledError:
            raise
        except Exception as error:  # API down, bad JSON, JetStream away, database away: all retried later
            log.warning("pull %s/%s failed: %s", source.county_code, source.source, error)
            try:
                await self._save(source, error=f"{type(error).__name__}: {error}"[:2000])
            except Exception:
                log.exception("could not record the pull error of %s/%s", source.county_code, source.source)
            return False

    async def pull_page(self, source: PullSource) -> bool:
        """Pull, publish and quarantine one page; True when another page may follow at once."""
        cursor = await self.cursor(source)
        body = await self._fetch(source, cursor)
        items, next_cursor = dig(body, source.items_path), dig(body, source.next_cursor_path)
        if not isinstance(items, list):
            raise PullError(f"no list of items at {source.items_path!r} in the response")
        items = [{"source_system": source.source_system, **item} if isinstance(item, dict) else item for item in items]
        now = self._clock.now()
        origin = Origin(f"pull {source.source} cursor {cursor or '(start)'}"[:300], f"pull adapter {source.source}"[:200])
        split = self._triage(source.county_code, items, now, origin)
        await self._publish([event for _, event in split.events])  # raises unless JetStream stored all
        # The same page repeated after a crash gets the same batch id, so its quarantined copies are recognisable.
        batch_id = uuid5(NAMESPACE_URL, f"pull:{source.county_code}:{source.source}:{cursor}")
        await self._keep(self._sessions, source.county_code, batch_id, now, split.rejected)
        advanced = next_cursor is not None and str(next_cursor) != cursor
        await self._save(source, cursor=str(next_cursor) if advanced else cursor, pulled_at=now)
        return advanced and len(items) >= source.page_size

    async def _fetch(self, source: PullSource, cursor: str | None) -> Any:
        params: dict[str, str | int] = {source.page_size_param: source.page_size}
        if cursor is not None:
            params[source.cursor_param] = cursor
        headers = {}
        if source.auth_header:
            secret = os.environ.get(source.auth_env or "")
            if secret is None:
                raise PullError(f"environment variable {source.auth_env!r} (the {source.auth_header} header) is not set")
            headers[source.auth_header] = source.auth_prefix + secret
        response = await self._http.get(source.url, params=params, headers=headers, timeout=source.timeout_seconds)
        if response.status_code != 200:
            raise PullError(f"{source.url} answered {response.status_code}: {response.text[:200]}")
        try:
            return response.json()
        except ValueError as error:
            raise PullError(f"{source.url} did not answer JSON: {error}") from error

    async def cursor(self, source: PullSource) -> str | None:
        query = select(pull_cursors.c.cursor).where(
            pull_cursors.c.county_code == source.county_code, pull_cursors.c.source == source.source)
        async with self._sessions() as session:
            return (await session.execute(query)).scalar_one_or_none()

    async def _save(self, source: PullSource, *, cursor: str | None = None, pulled_at: datetime | None = None,
                    error: str | None = None) -> None:
        """A success sets cursor and time and clears the error; a failure sets only the error."""
        values: dict[str, Any] = {"last_error": error}
        if error is None:
            values.update(cursor=cursor, last_pulled_at=pulled_at)
        key = (pull_cursors.c.county_code == source.county_code, pull_cursors.c.source == source.source)
        async with self._sessions() as session, session.begin():
            # Update, else insert: portable across SQLite and PostgreSQL, and only this task writes the row.
            if (await session.execute(update(pull_cursors).where(*key).values(**values))).rowcount == 0:
                await session.execute(insert(pull_cursors).values(county_code=source.county_code, source=source.source, **values))
