"""One project "as of" a day: the facts as known at the end of that Beijing day and every rule's result on them.

Pure core (`project_view`) over stored versions, a policy and a date; the database edge (`load_project_history`)
at the bottom. Rules that find nothing are listed too, so a reader sees every rule was applied.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.escalation.domain import catalog
from services.escalation.domain.findings import Audience
from services.escalation.domain.policy import Policy
from services.escalation.domain.rules import evaluate_all
from services.escalation.projection import facts_of
from services.escalation.tables import project_facts, project_facts_history
from services.escalation.whatif import Version, version_of
from shared.clock import BEIJING
from shared.contracts import ProjectSnapshot

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class RuleResult:
    rule_id: str
    title: str
    colour: str  # "clear" when the rule finds nothing
    level: int | None = None
    level_name: str | None = None
    subject: str | None = None
    addressees: tuple[Audience, ...] = ()
    dates: tuple[tuple[str, str], ...] = ()  # the finding's dated evidence: periods' ends, due and lapse days
    summary: str = ""


@dataclass(frozen=True, slots=True)
class ProjectView:
    project_id: str
    as_of: date
    version: int
    known_from: datetime
    snapshot: dict[str, Any]
    results: tuple[RuleResult, ...]


def project_view(versions: Sequence[Version], policy: Policy, as_of: date) -> ProjectView | None:
    """The newest version known before the next Beijing midnight, evaluated as of that day; None if nothing was known yet."""
    cutoff = datetime.combine(as_of + timedelta(days=1), time(0), BEIJING)
    known = [v for v in versions if v.known_from < cutoff]
    if not known:
        return None
    newest = max(known, key=lambda v: v.version)
    facts = facts_of(ProjectSnapshot.model_validate(newest.snapshot), newest.county_code)
    findings = evaluate_all(facts, policy, as_of)
    results = [RuleResult(f.rule_id, catalog.SPECS[f.rule_id].title, f.colour, f.level, f.level_name, f.subject, f.audience,
                          tuple((k, v) for k, v in f.evidence.items() if _ISO_DATE.match(v)), f.summary) for f in findings]
    found = {f.rule_id for f in findings}
    results += [RuleResult(spec.rule_id, spec.title, "clear") for spec in catalog.SPECS.values() if spec.rule_id not in found]
    return ProjectView(newest.project_id, as_of, newest.version, newest.known_from, newest.snapshot, tuple(results))


def as_json(view: ProjectView) -> dict[str, Any]:
    return {"project_id": view.project_id, "as_of": view.as_of.isoformat(), "version": view.version,
            "known_from": view.known_from.isoformat(), "facts": view.snapshot,
            "rules": [{"rule_id": r.rule_id, "title": r.title, "colour": r.colour, "level": r.level, "level_name": r.level_name,
                       "subject": r.subject, "summary": r.summary, "dates": dict(r.dates),
                       "addressees": [{"kind": a.kind, "name": a.name, "role": a.role} for a in r.addressees]} for r in view.results]}


async def load_project_history(sessions: async_sessionmaker, county_code: str, project: str) -> list[Version]:
    """Every stored version of one of the county's projects, named by its id, 项目代码 or a county-local id."""
    async with sessions() as session:
        project_id = await _project_id(session, county_code, project)
        if project_id is None:
            return []
        rows = (await session.execute(select(project_facts_history).where(
            project_facts_history.c.county_code == county_code, project_facts_history.c.project_id == project_id)
            .order_by(project_facts_history.c.version))).mappings().all()
    return [version_of(r) for r in rows]


async def _project_id(session: AsyncSession, county_code: str, project: str) -> str | None:
    """Only the county's own projects are looked at, so another county's project is never found."""
    rows = await session.execute(select(project_facts.c.project_id, project_facts.c.snapshot)
                                 .where(project_facts.c.county_code == county_code))
    for project_id, snapshot in rows:
        if project in (project_id, snapshot.get("project_code")) or project in (snapshot.get("local_ids") or ()):
            return project_id
    return None
