"""A person's page of a county's list: the rows of a query that they may see, in its order, read a chunk at a time.

Cases, problems and assignments pile up over the years, and whether a department or a leader may see a row is decided
in Python (by the names on it), so a page cannot be one LIMIT … OFFSET. Reading a chunk at a time bounds this process's
memory and each statement's parameters (an IN of the chunk's ids: PostgreSQL takes at most 32,767, SQLite as its build
allows) by the chunk, not by the county's history.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Response
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.json_answer import json_answer

CHUNK = 1000
Rows = list[dict[str, Any]]
Keep = Callable[[AsyncSession, Rows], Awaitable[Rows]]


async def visible_page(session: AsyncSession, query: Select[Any], keep: Keep, limit: int, offset: int,
                       keeps_all: bool = False) -> tuple[Rows, bool]:
    """Rows offset to offset + limit of those `keep` passes (it may also reshape them), and whether more follow.
    The query's order must end on a unique column, so that its chunks neither skip nor repeat a row. With
    `keeps_all` (`keep` drops nothing) the database skips the first `offset` rows itself."""
    start, skip = (offset, 0) if keeps_all else (0, offset)
    page: Rows = []
    while len(page) <= limit:
        chunk = [dict(r) for r in (await session.execute(query.limit(CHUNK).offset(start))).mappings()]
        kept = await keep(session, chunk)
        skipped = min(skip, len(kept))
        skip -= skipped
        page.extend(kept[skipped:])
        if len(chunk) < CHUNK:
            break
        start += CHUNK
    return page[:limit], len(page) > limit


def page_answer(name: str, page: Rows, limit: int, offset: int, more: bool) -> Response:
    """The page as the list routes answer it (`more`: another page follows), encoded in C: a page is up to 5,000 rows."""
    return json_answer({name: page, "limit": limit, "offset": offset, "more": more})
