"""clock_due against lifecycle.missed: a case is never due to climb before its stored day, and climbs on it."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.escalation.cases import lifecycle
from services.escalation.cases.clock_due import clock_due
from services.escalation.cases.lifecycle import Case
from shared.contracts.case import CaseState
from tests.unit.escalation.cases.test_cases_lifecycle import DAY, DRAFT, PARTIES, POLICY, at_state, opened


def walked(case: Case, condition_holds: bool, days: int = 400) -> date | None:
    """The first day missed() names a reason, by trying every day."""
    day = DAY
    for _ in range(days):
        if lifecycle.missed(case, day, condition_holds) is not None:
            return day
        day += timedelta(days=1)
    return None


@pytest.mark.parametrize("case", [
    opened("yellow"), opened("red"), opened("grey"), at_state(CaseState.acknowledged), at_state(CaseState.replied),
    at_state(CaseState.reviewed), lifecycle.climb(opened("red"), 3, DAY, PARTIES, POLICY, DRAFT),
    lifecycle.climb(opened("red"), 4, DAY, PARTIES, POLICY, DRAFT),
], ids=lambda case: f"{case.state.value}-L{case.level}")
def test_the_stored_day_is_the_first_day_the_case_can_climb(case: Case) -> None:
    due = clock_due(case)
    assert walked(case, condition_holds=True) == due
    first = walked(case, condition_holds=False)
    assert first is None or (due is not None and first >= due)


def test_closed_and_paused_cases_have_no_day_and_a_resumed_one_gets_its_pushed_day() -> None:
    assert clock_due(at_state(CaseState.closed)) is None
    paused = lifecycle.claim_exception(opened(), "force_majeure", "暴雨", None, "p1", date(2026, 6, 2))
    assert paused.paused and clock_due(paused) is None
    resumed = lifecycle.decide_exception(paused, False, date(2026, 6, 9), POLICY)
    assert clock_due(resumed) == walked(resumed, condition_holds=True)
    assert clock_due(resumed) > clock_due(opened())
