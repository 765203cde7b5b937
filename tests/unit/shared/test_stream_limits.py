"""config/streams.toml: every stream has limits, bad files fail at start, and the duplicate window covers intake's retries."""
from __future__ import annotations

from pathlib import Path

import pytest

from services.intake.ingest import RETRY_AFTER_SECONDS
from services.intake.settings import Settings as IntakeSettings
from services.simulator.cli import MAX_ATTEMPTS
from services.tracker.settings import Settings as TrackerSettings
from shared import subjects
from shared.runtime import Runtime
from shared.stream_limits import DAY_SECONDS, load_stream_limits


def test_every_stream_has_limits_and_the_record_streams_live_longest() -> None:
    limits = load_stream_limits()
    assert set(limits) == {spec.name for spec in subjects.STREAMS}
    assert limits["UPDATES"].max_age_seconds == 30 * DAY_SECONDS
    assert limits["ESCALATIONS"].max_age_seconds > limits["UPDATES"].max_age_seconds
    assert limits["CASES"].max_age_seconds > limits["UPDATES"].max_age_seconds


def test_the_duplicate_window_covers_a_county_retrying_as_intake_asks() -> None:
    """A batch refused with 503 may have been stored in part; the county re-sends it after Retry-After,
    each attempt waiting up to the publish timeout. Every re-sent message must still be caught as a duplicate."""
    retry_span = MAX_ATTEMPTS * (RETRY_AFTER_SECONDS + IntakeSettings(_env_file=None).publish_timeout_seconds)  # type: ignore[call-arg]
    assert load_stream_limits()["UPDATES"].duplicate_window_seconds >= retry_span


def test_a_service_reads_the_file_its_settings_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    custom = tmp_path / "streams.toml"
    custom.write_text("".join(f"[{spec.name}]\nmax_age_days = 7\nmax_bytes = 1_000_000\nduplicate_window_seconds = 60\n"
                              for spec in subjects.STREAMS))
    monkeypatch.setenv("TRACKER_STREAMS_FILE", str(custom))
    settings = TrackerSettings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path / 't.db'}")  # type: ignore[call-arg]
    runtime = Runtime.of("tracker", settings, tmp_path, None)
    assert runtime.stream_limits is not None and runtime.stream_limits["UPDATES"].max_bytes == 1_000_000


@pytest.mark.parametrize(("body", "message"), [
    ("[UPDATES]\nmax_age_days = 30\nmax_bytes = 100\nduplicate_window_seconds = 60\n", "no limits for stream PROJECTS"),
    ("[UPDATES]\nmax_age_days = 30\nmax_bytes = 100\n", "needs exactly"),
    ("[UPDATES]\nmax_age_days = 0\nmax_bytes = 100\nduplicate_window_seconds = 60\n", "must be positive"),
    ("[UPDATES]\nmax_age_days = 1\nmax_bytes = 100\nduplicate_window_seconds = 90000\n", "cannot be longer"),
])
def test_a_bad_file_is_refused_at_start(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "streams.toml"
    path.write_text(body)
    with pytest.raises(ValueError, match=message):
        load_stream_limits(path, ["UPDATES", "PROJECTS"])
