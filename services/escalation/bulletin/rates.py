"""开工率, 竣工率 and 投产率 of one year, and the forecast of the year-end 开工率.

A project counts in a year's rate when its milestone (开工, 竣工, 投产) is planned within that year;
cancelled projects (调出) count nowhere. Started means domain.starts.counts_for_start_rate (the
approval/stage 开工, which is not the land-law 动工开发); completed and in production mean the milestone's
actual date on or before the as-of day, or a stage at or past it.

Forecast of the year-end 开工率: (started + expected) ÷ planned, where a project planned to start
this year and not started is *expected* when its 开工 is not overdue (planned on or after the as-of
day) and every earlier step of its plan (each other milestone, e.g. 用地 or 施工许可, planned on or
before its 开工) is done or still on schedule (planned on or after the as-of day). An overdue step
makes it *at risk*: it is left out, because nothing says when it will be done.
"""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from fractions import Fraction

from services.escalation.bulletin.exact import percent_text, ratio
from services.escalation.bulletin.model import StageRate, StartForecast
from services.escalation.domain.facts import ProjectFacts
from services.escalation.domain.starts import counts_for_start_rate

START, COMPLETION, PRODUCTION = "开工", "竣工", "投产"
STAGE_STEPS = (START, COMPLETION, PRODUCTION)
_ORDER = {"reserve": 0, "negotiating": 1, "signed": 2, "started": 3, "completed": 4, "in_production": 5, "at_capacity": 6}
_STAGE_OF = {START: 3, COMPLETION: 4, PRODUCTION: 5}


def reached(facts: ProjectFacts, milestone: str, as_of: date) -> bool:
    step = facts.milestone(milestone)
    if step is not None and step.actual is not None and step.actual <= as_of:
        return True
    return _ORDER.get(facts.stage or "", -1) >= _STAGE_OF[milestone]


def planned_in(facts: ProjectFacts, milestone: str, year: int) -> bool:
    step = facts.milestone(milestone)
    return facts.stage != "cancelled" and step is not None and step.planned is not None and step.planned.year == year


def _meets(value: Fraction | None, target: Fraction | None) -> bool | None:
    return None if value is None or target is None else value * 100 >= target


def _target(target: Fraction | None) -> str | None:
    return None if target is None else percent_text(target / 100)


def stage_rate(projects: Sequence[ProjectFacts], milestone: str, year: int, as_of: date, target: Fraction | None) -> StageRate:
    planned = [p for p in projects if planned_in(p, milestone, year)]
    done_test = counts_for_start_rate if milestone == START else (lambda p, day: reached(p, milestone, day))
    done = [p for p in planned if done_test(p, as_of)]
    value = ratio(len(done), len(planned))
    return StageRate(milestone, len(planned), len(done), percent_text(value), _target(target), _meets(value, target),
                     tuple(p.display_name for p in planned if p not in done))


def expected_to_start(facts: ProjectFacts, as_of: date) -> bool:
    """Not started yet, and its own plan still gets it started on time (see the module docstring)."""
    start = facts.milestone(START)
    if start is None or start.planned is None or start.planned < as_of:
        return False
    before = [m for m in facts.milestones if m.name not in STAGE_STEPS and m.planned is not None and m.planned <= start.planned]
    return all((m.actual is not None and m.actual <= as_of) or (m.planned is not None and m.planned >= as_of) for m in before)


def start_forecast(projects: Sequence[ProjectFacts], year: int, as_of: date, target: Fraction | None) -> StartForecast:
    planned = [p for p in projects if planned_in(p, START, year)]
    started = [p for p in planned if counts_for_start_rate(p, as_of)]
    waiting = [p for p in planned if p not in started]
    expected = [p for p in waiting if expected_to_start(p, as_of)]
    value = ratio(len(started) + len(expected), len(planned))
    return StartForecast(len(planned), len(started), len(expected), percent_text(value), _target(target), _meets(value, target),
                         tuple(p.display_name for p in waiting if p not in expected))
