"""投资完成率 against the annual plan and the time-proportional curve, and the 欠进度 list (R5 bands).

The year to date of a project is the newest ledger month of the year (up to the bulletin's month)
that carries a ytd figure, plus the monthly figures of any later months; projects without an
annual plan are left out of both the totals and the list (there is nothing to be behind).
序时进度 is annual plan × elapsed months ÷ 12. The list is R5's own year-to-date grade as of the
bulletin's month, with the county's policy (its bands, the ledger's monthly curve where there is one):
one row per project, as the escalations grade it, also for December, whose bulletin is written after
the year's escalations closed. Without a policy it is computed here with the bulletin's bands (yellow
from `behind_yellow_points` to `behind_red_points` points behind inclusive, red beyond).
"""
from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from services.escalation.bulletin.exact import percent_text, points_text, ratio
from services.escalation.bulletin.model import BehindProject, Investment
from services.escalation.bulletin.settings import BulletinSettings
from services.escalation.domain.facts import ProjectFacts
from services.escalation.domain.findings import Finding
from services.escalation.domain.policy import Policy
from services.escalation.domain.rules import investment_progress
from shared.ledger_figures import year_to_date


def ytd_fen(facts: ProjectFacts, month: str) -> int | None:
    return year_to_date(((e.month, e.ytd_fen, e.investment_fen) for e in facts.ledger), month)


def schedule(month: str) -> Fraction:
    return Fraction(int(month[5:7]), 12)


def investment(projects: Sequence[ProjectFacts], month: str, settings: BulletinSettings) -> Investment:
    year = int(month[:4])
    planned = [p for p in projects if p.annual_plan(year)]
    plan = sum(p.annual_plan(year) or 0 for p in planned)
    done = sum(ytd_fen(p, month) or 0 for p in planned)
    completion = ratio(done, plan)
    on_curve = schedule(month)
    target = settings.investment_rate_target / 100 if settings.investment_rate_target is not None else on_curve
    return Investment(
        annual_plan_fen=plan, ytd_fen=done, completion_percent=percent_text(completion), schedule_percent=percent_text(on_curve) or "",
        behind_points=points_text((on_curve - completion) * 100) if completion is not None else None,
        target_percent=percent_text(target), meets_target=None if completion is None else completion >= target,
    )


def _computed(facts: ProjectFacts, month: str, settings: BulletinSettings) -> BehindProject | None:
    annual = facts.annual_plan(int(month[:4]))
    if not annual:
        return None
    done = ytd_fen(facts, month) or 0
    completion = Fraction(done, annual)
    behind = (schedule(month) - completion) * 100
    if behind < settings.behind_yellow_points:
        return None
    colour = "red" if behind > settings.behind_red_points else "yellow"
    return BehindProject(facts.project_id, facts.display_name, facts.responsible_unit or "", annual, done,
                         percent_text(completion), percent_text(schedule(month)), points_text(behind), colour, "computed")


def _graded(facts: ProjectFacts, finding: Finding) -> BehindProject:
    evidence = finding.evidence
    annual, done, plan = int(evidence["base_fen"]), int(evidence["done_fen"]), int(evidence["plan_fen"])
    return BehindProject(facts.project_id, facts.display_name, facts.responsible_unit or "", annual, done,
                         percent_text(Fraction(done, annual)), percent_text(Fraction(plan, annual)), evidence["behind_points"],
                         evidence["colour"], "R5")


def behind_list(projects: Sequence[ProjectFacts], month: str, settings: BulletinSettings,
                policy: Policy | None = None) -> tuple[BehindProject, ...]:
    """欠序时进度 only, the year to date: the recent months' grade and R5.plan_missed (a month's promise) carry no points
    behind the year's curve. (Taken from the open escalations, it listed a project twice, the recent months' points as
    the year's, with blank figures, and in January none of last year's.)"""
    if policy is not None:
        found = [_graded(p, f) for p in projects if (f := investment_progress.year_to_date(p, policy, month)) is not None]
    else:
        found = [item for p in projects if (item := _computed(p, month, settings)) is not None]
    # Reds first, then the furthest behind, so the list reads as a priority order.
    return tuple(sorted(found, key=lambda b: (b.colour != "red", -Fraction(b.behind_points or "0"), b.name)))
