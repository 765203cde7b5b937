"""Query parameters the read APIs share, bounded so that no value reaches the database as an error.

Past 2**63 - 1 SQLite raises OverflowError and past 2**31 - 1 PostgreSQL refuses an int4 parameter: both were 500s
(found by fuzzing). SQLite reads a negative LIMIT as no limit at all, and PostgreSQL refuses it.
"""
from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

DATABASE_INT_MAX = 2**31 - 1  # the largest integer parameter both databases take in every column
Offset = Annotated[int, Query(ge=0, le=DATABASE_INT_MAX)]


def page_limit(default: int, most: int) -> Any:
    """A page of 1 to `most` rows."""
    return Query(default, ge=1, le=most)
