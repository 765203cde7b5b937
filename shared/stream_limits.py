"""How much each JetStream stream may keep, and for how long: config/streams.toml, read by every service.

Without limits a stream keeps every message forever and fills the disk; with them JetStream drops
the oldest first (discard old) and never refuses a publish for being full. Each service's database
is the record, so a message past its age is only a shorter replay window, never lost state.
"""
from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from shared.subjects import STREAMS

STREAMS_FILE = Path(__file__).resolve().parents[1] / "config" / "streams.toml"
DAY_SECONDS = 86_400
_KEYS = {"max_age_days", "max_bytes", "duplicate_window_seconds"}


@dataclass(frozen=True)
class StreamLimits:
    max_age_seconds: float
    max_bytes: int
    duplicate_window_seconds: float

    def __post_init__(self) -> None:
        if self.max_age_seconds <= 0 or self.max_bytes <= 0 or self.duplicate_window_seconds <= 0:
            raise ValueError(f"stream limits must be positive: {self}")
        if self.duplicate_window_seconds > self.max_age_seconds:  # JetStream refuses this too, less clearly
            raise ValueError(f"the duplicate window cannot be longer than the stream's max age: {self}")


def load_stream_limits(path: Path = STREAMS_FILE, names: Iterable[str] | None = None) -> dict[str, StreamLimits]:
    """Limits of every stream in `names` (all of them by default); a missing stream, an unknown key or a bad value is an error at start."""
    names = [spec.name for spec in STREAMS] if names is None else names
    with path.open("rb") as file:
        table = tomllib.load(file)
    limits: dict[str, StreamLimits] = {}
    for name in names:
        entry = table.get(name)
        if not isinstance(entry, Mapping):
            raise ValueError(f"{path}: no limits for stream {name}")
        if set(entry) != _KEYS:
            raise ValueError(f"{path}: stream {name} needs exactly {sorted(_KEYS)}, has {sorted(entry)}")
        limits[name] = StreamLimits(max_age_seconds=float(entry["max_age_days"]) * DAY_SECONDS, max_bytes=int(entry["max_bytes"]),
                                    duplicate_window_seconds=float(entry["duplicate_window_seconds"]))
    return limits
