"""The first day the ladder's clocks can climb a case (lifecycle.missed), stored so the sweep reads only those cases."""
from __future__ import annotations

from datetime import date, timedelta

from services.escalation.cases.ladder import TOP
from services.escalation.cases.lifecycle import Case
from shared.contracts.case import FINISHED_STATES

_DAY = timedelta(days=1)


def clock_due(case: Case) -> date | None:
    """missed() is None on every day before this one; None when no clock runs (closed, paused, at the top, no deadline)."""
    if case.state.value in FINISHED_STATES or case.paused or case.level >= TOP:
        return None
    passed = [d.due + _DAY for d in (case.step_due if case.level <= 2 else None, case.level_due) if d is not None]
    if not passed:
        return None
    return max(min(passed), case.level_started_on + _DAY)
