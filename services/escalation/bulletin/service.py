"""Generating a bulletin: read the county's records, compute, render, store a revision and its event (outbox)."""
from __future__ import annotations

import calendar
import uuid
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.escalation.bulletin.coordination import month_window
from services.escalation.bulletin.figures import compute_figures, previous_month
from services.escalation.bulletin.model import BulletinFigures, PreviousFigures
from services.escalation.bulletin.render_docx import render_docx
from services.escalation.bulletin.render_html import render_html
from services.escalation.bulletin.render_xlsx import render_xlsx
from services.escalation.bulletin.settings import BulletinSettings, load_bulletin_settings
from services.escalation.domain.facts import ProjectFacts
from services.escalation.domain.policy import Policy
from services.escalation.problems.policy import ProblemPolicy, load_problem_policy
from services.escalation.projection import facts_of
from services.escalation.tables import (
    assignments,
    bulletins,
    case_actions,
    cases,
    coordination_actions,
    escalations,
    outbox,
    problems,
    project_facts,
    referrals,
)
from shared import subjects
from shared.contracts import BulletinPublished, ProjectSnapshot, Recipient
from shared.contracts.case import CaseState
from shared.persistence import add_to_outbox

BULLETIN_NAMESPACE = uuid.UUID("9b7e0a52-3f1c-5d8e-a4b6-1c2d3e4f5a60")
FORMATS = ("html", "xlsx", "docx")


def month_end(month: str) -> date:
    year, number = int(month[:4]), int(month[5:7])
    return date(year, number, calendar.monthrange(year, number)[1])


def links(county_code: str, month: str, revision: int) -> dict[str, str]:
    return {fmt: f"/internal/counties/{county_code}/bulletins/{month}.{fmt}?revision={revision}" for fmt in FORMATS}


def recipients(policy: Policy, projects: list[ProjectFacts]) -> tuple[Recipient, ...]:
    """The project office acts (it issues the bulletin); leaders and departments are informed."""
    departments = [policy.land_bureau, policy.discipline_commission, policy.audit_office, policy.finance_bureau,
                   *sorted({p.lead_department for p in projects if p.lead_department})]
    leaders = sorted({p.leader for p in projects if p.leader})
    found = [Recipient(kind="office", name=policy.project_office, role="action")]
    found += [Recipient(kind="leader", name=name, role="informed") for name in leaders]
    found += [Recipient(kind="department", name=name, role="informed") for name in dict.fromkeys(departments)]
    return tuple(found)


async def _rows(session: AsyncSession, table: Any, county_code: str) -> list[dict[str, Any]]:
    return [dict(r) for r in (await session.execute(select(table).where(table.c.county_code == county_code))).mappings()]


async def _cases(session: AsyncSession, county_code: str) -> list[dict[str, Any]]:
    """A withdrawn case (its condition cleared the day it opened, untouched) was never work: no figure counts it."""
    return [row for row in await _rows(session, cases, county_code) if row["state"] != CaseState.withdrawn]


async def _problem_steps(session: AsyncSession, county_code: str, month: str, as_of: date) -> list[dict[str, Any]]:
    """The problems' audit rows of the month (all the figures read of the log)."""
    first, last = month_window(month, as_of)
    query = select(coordination_actions).where(coordination_actions.c.county_code == county_code, coordination_actions.c.item_kind == "problem",
                                               coordination_actions.c.as_of >= first, coordination_actions.c.as_of <= last)
    return [dict(r) for r in (await session.execute(query.order_by(coordination_actions.c.id))).mappings()]


async def _previous(session: AsyncSession, county_code: str, month: str) -> PreviousFigures | None:
    figures = await session.scalar(select(bulletins.c.figures).where(bulletins.c.county_code == county_code, bulletins.c.month == month)
                                   .order_by(bulletins.c.revision.desc()).limit(1))
    return PreviousFigures.from_json(figures) if figures else None


async def load_figures(session: AsyncSession, county_code: str, month: str, as_of: date, policy: Policy,
                       settings: BulletinSettings, problem_policy: ProblemPolicy | None = None) -> tuple[BulletinFigures, list[ProjectFacts]]:
    """The figures, and the projects they were computed from (their leaders and departments receive the bulletin)."""
    snapshots = (await session.execute(select(project_facts.c.project_id, project_facts.c.snapshot)
                                       .where(project_facts.c.county_code == county_code).order_by(project_facts.c.project_id))).all()
    projects = [(facts_of(ProjectSnapshot.model_validate(snapshot), county_code), project_id) for project_id, snapshot in snapshots]
    figures = compute_figures(
        county_code=county_code, county_name=policy.county_name or county_code, month=month, as_of=as_of, projects=projects,
        escalations=await _rows(session, escalations, county_code), cases=await _cases(session, county_code),
        case_actions=await _rows(session, case_actions, county_code), previous=await _previous(session, county_code, previous_month(month)),
        settings=settings, policy=policy, problems=await _rows(session, problems, county_code),
        assignments=await _rows(session, assignments, county_code), coordination_actions=await _problem_steps(session, county_code, month, as_of),
        problem_policy=problem_policy, referrals=await _rows(session, referrals, county_code),
    )
    return figures, [facts for facts, _ in projects]


async def generate_bulletin(sessions: async_sessionmaker, county_code: str, month: str, as_of: date, now: datetime, policy: Policy,
                            settings: BulletinSettings | None = None, only_if_missing: bool = False,
                            problem_policy: ProblemPolicy | None = None) -> dict[str, Any] | None:
    """Store the next revision of the county's bulletin for `month` and its BulletinPublished, in one transaction.

    `only_if_missing` (the monthly schedule) makes it a no-op returning None when any revision exists. Without the
    county's problem policy, its defaults (the categories of the seeds, long open after 3 months).
    """
    settings = settings or BulletinSettings()
    async with sessions() as session, session.begin():
        latest = await session.scalar(select(func.max(bulletins.c.revision))
                                      .where(bulletins.c.county_code == county_code, bulletins.c.month == month))
        if latest is not None and only_if_missing:
            return None
        revision = (latest or 0) + 1
        figures, projects = await load_figures(session, county_code, month, as_of, policy, settings, problem_policy)
        bulletin_id = uuid.uuid5(BULLETIN_NAMESPACE, f"{county_code}|{month}|{revision}")
        row = {"bulletin_id": str(bulletin_id), "county_code": county_code, "month": month, "revision": revision, "as_of": as_of,
               "figures": figures.to_json(), "html": render_html(figures, revision), "xlsx": render_xlsx(figures, revision),
               "docx": render_docx(figures, revision), "generated_at": now}
        await session.execute(bulletins.insert().values(row))
        event = published(figures, bulletin_id, revision, recipients(policy, projects), now)
        await add_to_outbox(session, outbox, [(event, subjects.bulletin_published(county_code))], now)
    return row


def published(figures: BulletinFigures, bulletin_id: uuid.UUID, revision: int, to: tuple[Recipient, ...], now: datetime) -> BulletinPublished:
    headline = figures.headline()
    summary = (f"{figures.title}已印发：开工率{headline.get('start_rate_percent', '—')}%，"
               f"投资完成率{headline.get('investment_completion_percent', '—')}%，欠进度项目{len(figures.behind)}个，"
               f"在办督办件{figures.open_cases.total}件。")
    return BulletinPublished(
        event_id=uuid.uuid5(BULLETIN_NAMESPACE, f"published|{bulletin_id}"), occurred_at=now, county_code=figures.county_code,
        correlation_id=f"bulletin:{figures.county_code}:{figures.month}", bulletin_id=bulletin_id, month=figures.month,
        title=figures.title if revision == 1 else f"{figures.title}（第{revision}版）", headline=headline,
        links=links(figures.county_code, figures.month, revision), recipients=to, summary=summary,
    )


async def counties_with_projects(sessions: async_sessionmaker) -> list[str]:
    async with sessions() as session:
        return list((await session.execute(select(project_facts.c.county_code).distinct().order_by(project_facts.c.county_code))).scalars())


PolicyFor = Callable[[str], Policy]


async def generate_monthly(sessions: async_sessionmaker, today: date, now: datetime, policy_for: PolicyFor,
                           policy_dir: Path) -> list[dict[str, Any]]:
    """Last month's bulletin of every county with projects, once, from the county's publish day on.

    Any run on or after that day catches up, so a service that was down on the day still publishes."""
    month = previous_month(today.isoformat()[:7])
    made = []
    for county in await counties_with_projects(sessions):
        settings = load_bulletin_settings(county, policy_dir)
        if today.day < settings.publish_day:
            continue
        row = await generate_bulletin(sessions, county, month, month_end(month), now, policy_for(county), settings, only_if_missing=True,
                                      problem_policy=load_problem_policy(county, policy_dir))
        if row is not None:
            made.append(row)
    return made
