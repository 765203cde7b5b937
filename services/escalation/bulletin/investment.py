"""投资完成率 against the annual plan and the time-proportional curve, and the 欠进度 list (R5 bands).

The year to date of a project is the newest ledger month of the year (up to the bulletin's month)
that carries a ytd figure, plus the monthly figures of any later months; projects without an
annual plan are left out of both the totals and the list (there is nothing to be behind).
序时进度 is annual plan × elapsed months ÷ 12. The list comes from open R5 escalations when the
county has any; otherwise it is computed here with the county's bands (yellow from
`behind_yellow_points` to `behind_red_points` points behind inclusive, red beyond).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from services.escalation.bulletin.exact import percent_text, points_text, ratio
from services.escalation.bulletin.model import BehindProject, Investment
from services.escalation.bulletin.settings import BulletinSettings
from services.escalation.domain.facts import ProjectFacts
from services.escalation.domain.rules import investment_progress


def ytd_fen(facts: ProjectFacts, month: str) -> int | None:
    year = month[:4]
    entries = [e for e in facts.ledger if e.month[:4] == year and e.month <= month]
    with_ytd = [e for e in entries if e.ytd_fen is not None]
    base_month, total = (with_ytd[-1].month, with_ytd[-1].ytd_fen) if with_ytd else ("", None)
    later = [e.investment_fen for e in entries if e.month > base_month and e.investment_fen is not None]
    if total is None and not later:
        return None
    return (total or 0) + sum(later)


def schedule(month: str) -> Fraction:
    return Fraction(int(month[5:7]), 12)


def investment(projects: Sequence[ProjectFacts], month: str, settings: BulletinSettings) -> Investment:
    planned = [p for p in projects if p.annual_plan_fen]
    plan = sum(p.annual_plan_fen or 0 for p in planned)
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
    if not facts.annual_plan_fen:
        return None
    done = ytd_fen(facts, month) or 0
    completion = Fraction(done, facts.annual_plan_fen)
    behind = (schedule(month) - completion) * 100
    if behind < settings.behind_yellow_points:
        return None
    colour = "red" if behind > settings.behind_red_points else "yellow"
    return BehindProject(facts.project_id, facts.display_name, facts.responsible_unit or "", facts.annual_plan_fen, done,
                         percent_text(completion), percent_text(schedule(month)), points_text(behind), colour, "computed")


def _from_escalation(row: Mapping[str, Any], facts: ProjectFacts | None) -> BehindProject:
    evidence = row.get("evidence") or {}
    colour = evidence.get("colour") or ("red" if row["level"] >= 2 else "yellow")

    def fen(key: str) -> int | None:
        return int(evidence[key]) if str(evidence.get(key, "")).lstrip("-").isdigit() else None

    def percent(key: str) -> str | None:
        return percent_text(Fraction(evidence[key])) if key in evidence else None

    return BehindProject(row["project_id"], facts.display_name if facts else row["project_id"], (facts.responsible_unit or "") if facts else "",
                         fen("annual_plan_fen"), fen("investment_ytd_fen"), percent("completion_ratio"), percent("schedule_ratio"),
                         evidence.get("behind_points"), colour, "R5")


def behind_list(projects: Sequence[ProjectFacts], open_escalations: Sequence[Mapping[str, Any]], month: str,
                settings: BulletinSettings) -> tuple[BehindProject, ...]:
    # 欠序时进度 only: R5.plan_missed (a month's promise) carries no points behind the year's curve.
    r5 = [row for row in open_escalations if row["rule_id"] == investment_progress.RULE_ID]
    if r5:
        by_id = {p.project_id: p for p in projects}
        found = [_from_escalation(row, by_id.get(row["project_id"])) for row in r5]
    else:
        found = [item for p in projects if (item := _computed(p, month, settings)) is not None]
    # Reds first, then the furthest behind, so the list reads as a priority order.
    return tuple(sorted(found, key=lambda b: (b.colour != "red", -Fraction(b.behind_points or "0"), b.name)))
