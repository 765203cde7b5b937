"""What-if and backtest: the rules as of any day, and a proposed policy against the current one over stored history.

Pure core (`known_on`, `findings_report`, `backtest`) over plain rows, policies and dates; the
database edge (`load_history`, `load_current`) and the policy-file helper sit at the bottom.
A backtest evaluates, for each step date, every project as it was known at the end of that Beijing
day (the newest version in project_facts_history with known_from before the next midnight) and
counts per rule the distinct (project, subject) pairs that were red (or yellow) at least once.
"""
from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal

from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation.domain.facts import ProjectFacts
from services.escalation.domain.findings import Finding
from services.escalation.domain.policy import Policy
from services.escalation.domain.rules import evaluate_all
from services.escalation.policy_file import load_policy
from services.escalation.projection import facts_of
from services.escalation.tables import project_facts, project_facts_history
from shared.clock import BEIJING
from shared.contracts import ProjectSnapshot

Step = Literal["day", "week", "month"]
_STEPS: dict[str, relativedelta] = {"day": relativedelta(days=1), "week": relativedelta(weeks=1), "month": relativedelta(months=1)}


@dataclass(frozen=True, slots=True)
class Version:
    """One stored version of a project: what was known from `known_from` on."""

    project_id: str
    county_code: str
    version: int
    snapshot: dict[str, Any]
    known_from: datetime


def known_on(versions: Iterable[Version], day: date) -> list[ProjectFacts]:
    """Each project as known at the end of a Beijing day: its newest version known before the next midnight."""
    cutoff = datetime.combine(day + timedelta(days=1), time(0), BEIJING)
    newest: dict[str, Version] = {}
    for v in versions:
        if v.known_from < cutoff and (v.project_id not in newest or v.version > newest[v.project_id].version):
            newest[v.project_id] = v
    return [facts_of(ProjectSnapshot.model_validate(v.snapshot), v.county_code) for _, v in sorted(newest.items())]


def step_dates(start: date, end: date, step: Step = "month") -> list[date]:
    """start, start + step, … up to end, and end itself (the period's last day is always evaluated)."""
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    days, n = [], 0
    while (day := start + _STEPS[step] * n) <= end:
        days.append(day)
        n += 1
    return days if days[-1] == end else [*days, end]


@dataclass
class RuleCounts:
    red: int = 0
    yellow: int = 0
    other: int = 0


def findings_report(projects: Sequence[ProjectFacts], policy: Policy, as_of: date) -> dict[str, RuleCounts]:
    """What-if: findings by rule and colour for the projects as of a day."""
    report: dict[str, RuleCounts] = {}
    for finding in (f for p in projects for f in evaluate_all(p, policy, as_of)):
        counts = report.setdefault(finding.rule_id, RuleCounts())
        colour = finding.colour if finding.colour in ("red", "yellow") else "other"
        setattr(counts, colour, getattr(counts, colour) + 1)
    return report


@dataclass
class Raised:
    red: set[tuple[str, str]] = field(default_factory=set)  # (project, subject) red at least once
    yellow: set[tuple[str, str]] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class BacktestRow:
    rule_id: str
    reds_current: int
    reds_proposed: int
    yellows_current: int
    yellows_proposed: int


def _collect(into: dict[str, Raised], project: ProjectFacts, findings: Iterable[Finding]) -> None:
    for finding in findings:
        raised = into.setdefault(finding.rule_id, Raised())
        if finding.colour == "red":
            raised.red.add((project.project_id, finding.subject))
        elif finding.colour == "yellow":
            raised.yellow.add((project.project_id, finding.subject))


def backtest(versions: Sequence[Version], current: Policy, proposed: Policy, start: date, end: date, step: Step = "month") -> list[BacktestRow]:
    """Per rule: distinct (project, subject) red or yellow at least once in the period, under each policy."""
    under: dict[str, dict[str, Raised]] = {"current": {}, "proposed": {}}
    for day in step_dates(start, end, step):
        for project in known_on(versions, day):
            _collect(under["current"], project, evaluate_all(project, current, day))
            _collect(under["proposed"], project, evaluate_all(project, proposed, day))
    rules = sorted(set(under["current"]) | set(under["proposed"]))
    empty = Raised()
    return [BacktestRow(rule, len(under["current"].get(rule, empty).red), len(under["proposed"].get(rule, empty).red),
                        len(under["current"].get(rule, empty).yellow), len(under["proposed"].get(rule, empty).yellow)) for rule in rules]


# ---- edges: the database and the policy files ----

async def load_history(sessions: async_sessionmaker, county_code: str) -> list[Version]:
    """Every stored version of the county's projects; one without a source time counts from when it was recorded."""
    query = select(project_facts_history).where(project_facts_history.c.county_code == county_code)
    async with sessions() as session:
        rows = (await session.execute(query.order_by(project_facts_history.c.project_id, project_facts_history.c.version))).mappings().all()
    return [version_of(r) for r in rows]


async def load_current(sessions: async_sessionmaker, county_code: str) -> list[ProjectFacts]:
    async with sessions() as session:
        rows = (await session.execute(select(project_facts.c.snapshot).where(project_facts.c.county_code == county_code)
                                      .order_by(project_facts.c.project_id))).scalars().all()
    return [facts_of(ProjectSnapshot.model_validate(snapshot), county_code) for snapshot in rows]


def version_of(row: Any) -> Version:
    """A project_facts_history row; one without a source time counts from when it was recorded."""
    return Version(row["project_id"], row["county_code"], row["version"], row["snapshot"], _aware(row["known_from"] or row["recorded_at"]))


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes for timezone-aware columns; they were stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def load_proposed_policy(county_code: str, proposed: Path, policy_dir: Path) -> Policy:
    """The county's policy with `proposed` in place of <county>.toml, read by the one policy loader."""
    with tempfile.TemporaryDirectory(prefix="tuijin-policy-") as scratch:
        directory = Path(scratch)
        for source in policy_dir.glob("*.toml"):
            shutil.copy(source, directory / source.name)
        shutil.copy(proposed, directory / f"{county_code}.toml")
        return load_policy(county_code, directory)
