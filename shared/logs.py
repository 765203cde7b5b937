"""Structured logs: one JSON object per line on stderr, carrying event id, county and correlation id.

Every service calls `configure(service)` at start. Library and our own `logging` calls go through
the same structlog renderer, so a line from uvicorn, SQLAlchemy or our code has the same shape.
Code that works on one event binds its ids for the lines it writes (`bound_to(event)`); ops follow
one county record across services with `correlation_id`.
"""
from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TextIO

import structlog

EVENT_KEYS = ("event_id", "county_code", "correlation_id")
# What a line may carry as `extra=` (event_extra): only these, so a library's own extras (uvicorn's coloured copy of a
# message) never reach our lines.
EXTRA_KEYS = frozenset((*EVENT_KEYS, "person", "channel", "rule_id", "kind"))


def configure(service: str, level: str | None = None, stream: TextIO | None = None) -> None:
    """JSON lines at `level` (env LOG_LEVEL, default INFO) for this process."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.CallsiteParameterAdder({structlog.processors.CallsiteParameter.PROCESS}),
        structlog.stdlib.ExtraAdder(allow=EXTRA_KEYS),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, structlog.processors.format_exc_info,
                    structlog.processors.JSONRenderer(ensure_ascii=False)],
    ))
    # No line shows where it was logged from, nor the thread: skip looking them up for every record (the logging
    # HOWTO's "Optimization"). The notifier writes a line per delivery, and the caller lookup walks the stack.
    logging._srcfile = None
    logging.logThreads = logging.logMultiprocessing = False
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel((level or os.environ.get("LOG_LEVEL") or "INFO").upper())
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service)


def event_fields(event: Any) -> dict[str, str]:
    """The ids of an event model, a decoded dict, or a raw JSON body (best effort: a poison body has none)."""
    if isinstance(event, bytes | str):
        try:
            event = json.loads(event)
        except ValueError:
            return {}
    if not isinstance(event, Mapping):
        event = {key: getattr(event, key, None) for key in EVENT_KEYS}
    return {key: str(event[key]) for key in EVENT_KEYS if event.get(key) is not None}


def event_extra(event: Any, **extra: Any) -> dict[str, Any]:
    """`extra=` for one line about one event: its ids, and `extra` (keys of EXTRA_KEYS). A line a hot loop writes per
    event costs a third less this way than inside bound_to (no context variables set and reset)."""
    if unknown := extra.keys() - EXTRA_KEYS:  # ExtraAdder would drop them without a word
        raise ValueError(f"not in EXTRA_KEYS, so never logged: {sorted(unknown)}")
    return {**event_fields(event), **extra}


@contextmanager
def bound_to(event: Any, **extra: Any) -> Iterator[None]:
    """Lines logged inside carry the event's id, county and correlation id."""
    with structlog.contextvars.bound_contextvars(**event_fields(event), **extra):
        yield
