"""Civil Code period counting: corresponding dates, month-end clipping, pauses."""
from __future__ import annotations

from datetime import date

import pytest

from services.escalation.domain.periods import elapsed_days, has_elapsed, paused_days, paused_end, period_end

D = date.fromisoformat


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        pytest.param("2025-03-01", 12, "2026-03-01", id="domain-example"),
        pytest.param("2024-02-29", 12, "2025-02-28", id="from-leap-day-clips-to-feb-28"),
        pytest.param("2024-02-29", 24, "2026-02-28", id="from-leap-day-two-years"),
        pytest.param("2024-02-29", 48, "2028-02-29", id="from-leap-day-to-leap-year"),
        pytest.param("2023-02-28", 12, "2024-02-28", id="into-leap-year-keeps-28"),
        pytest.param("2025-01-31", 9, "2025-10-31", id="month-end-9-months"),
        pytest.param("2025-05-31", 9, "2026-02-28", id="month-end-clips-to-february"),
        pytest.param("2024-01-31", 1, "2024-02-29", id="clips-to-leap-february"),
        pytest.param("2025-03-01", 0, "2025-03-01", id="zero-months"),
    ],
)
def test_period_end_is_the_corresponding_date(start: str, months: int, end: str) -> None:
    assert period_end(D(start), months) == D(end)


@pytest.mark.parametrize(
    ("as_of", "elapsed"),
    [
        pytest.param("2026-02-28", False, id="two-days-before"),
        pytest.param("2026-03-01", False, id="last-day-of-the-year"),
        pytest.param("2026-03-02", True, id="day-after-the-last-day"),
    ],
)
def test_a_full_year_has_elapsed_only_from_the_day_after_its_last_day(as_of: str, elapsed: bool) -> None:
    assert has_elapsed(D("2025-03-01"), 12, (), D(as_of)) is elapsed


@pytest.mark.parametrize(
    ("pauses", "end"),
    [
        pytest.param([("2025-06-01", "2025-06-10")], "2026-03-11", id="closed-10-days"),
        pytest.param([("2025-01-01", "2025-02-27")], "2026-03-01", id="before-start-ignored"),
        pytest.param([("2025-02-20", "2025-03-05")], "2026-03-05", id="straddles-start-counts-days-after-start"),
        pytest.param([("2025-03-01", "2025-03-01")], "2026-03-01", id="the-start-day-itself-is-not-counted"),
        pytest.param([("2026-03-02", "2026-03-10")], "2026-03-01", id="after-the-end-ignored"),
        pytest.param([("2026-03-01", "2026-03-03")], "2026-03-04", id="on-the-last-day-cascades"),
        pytest.param([("2026-02-20", "2026-03-20")], "2026-03-30", id="pushed-end-takes-in-the-rest-of-the-pause"),
        pytest.param([("2025-06-01", "2025-06-10"), ("2025-06-05", "2025-06-15")], "2026-03-16", id="overlap-counted-once"),
        pytest.param([("2025-06-01", "2025-06-10"), ("2025-06-11", "2025-06-20")], "2026-03-21", id="adjacent-pauses"),
        pytest.param([("2025-12-01", "2026-01-31")], "2026-05-02", id="closed-62-days"),
    ],
)
def test_paused_days_push_the_end(pauses: list[tuple[str, str]], end: str) -> None:
    parsed = [(D(s), D(e)) for s, e in pauses]
    assert paused_end(D("2025-03-01"), 12, parsed, D("2027-01-01")) == D(end)


def test_pause_over_a_leap_day_counts_it() -> None:
    # 2024-02-28 … 2024-03-01 is three days in a leap year.
    assert paused_end(D("2023-06-01"), 12, [(D("2024-02-28"), D("2024-03-01"))], D("2025-01-01")) == D("2024-06-04")


@pytest.mark.parametrize(
    "as_of",
    ["2025-12-01", "2026-03-01", "2026-03-02", "2027-06-30"],
)
def test_an_open_pause_begun_inside_the_period_keeps_it_running(as_of: str) -> None:
    pauses = [(D("2025-12-01"), None)]
    assert not has_elapsed(D("2025-03-01"), 12, pauses, D(as_of))
    assert paused_end(D("2025-03-01"), 12, pauses, D(as_of)) > D(as_of)


def test_an_open_pause_begun_after_the_end_does_not_revive_the_period() -> None:
    assert has_elapsed(D("2025-03-01"), 12, [(D("2026-03-05"), None)], D("2026-04-01"))


def test_an_open_pause_that_has_not_begun_pauses_nothing() -> None:
    assert paused_end(D("2025-03-01"), 12, [(D("2026-01-01"), None)], D("2025-12-01")) == D("2026-03-01")


@pytest.mark.parametrize(
    ("as_of", "pauses", "elapsed", "paused"),
    [
        pytest.param("2025-03-01", [], 0, 0, id="start-day-not-counted"),
        pytest.param("2025-03-02", [], 1, 0, id="first-day"),
        pytest.param("2026-03-01", [], 365, 0, id="one-year"),
        pytest.param("2026-03-01", [("2025-06-01", "2025-06-10")], 355, 10, id="minus-closed-pause"),
        pytest.param("2025-06-05", [("2025-06-01", None)], 91, 5, id="open-pause-through-as-of"),
        pytest.param("2025-02-01", [], 0, 0, id="before-start"),
    ],
)
def test_elapsed_days_leave_out_paused_days(as_of: str, pauses: list[tuple[str, str | None]], elapsed: int,
                                            paused: int) -> None:
    parsed = [(D(s), D(e) if e else None) for s, e in pauses]
    assert elapsed_days(D("2025-03-01"), D(as_of), parsed) == elapsed
    assert paused_days(D("2025-03-01"), D(as_of), parsed) == paused


def test_negative_months_are_refused() -> None:
    with pytest.raises(ValueError):
        period_end(D("2025-03-01"), -1)
