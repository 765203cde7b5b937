"""ProjectStateChanged → the projects table (newest version wins) and the change log."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.console.detail import ledger_months
from services.console.projection.common import recolour, unseen
from services.console.tables import project_changes, projects
from shared.contracts import ProjectSnapshot, ProjectStateChanged
from shared.ledger_figures import year_to_date
from shared.persistence import inserting

# The milestones the 开工率/竣工率/投产率 read (named so in the contract).
STAGE_STEPS = {"开工": "start", "竣工": "completion", "投产": "production"}


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _investment(snap: ProjectSnapshot, data: dict[str, Any]) -> tuple[int | None, int | None, int | None]:
    """The newest ledger month's year to date (its own figure, else the year's last one plus the months after), the
    plan it is measured against, and their year: that year's plan (in January, last December's figure against last
    year's plan, not against a new year's plan already in). Without a ledger, the flat figures as reported, no year."""
    months = ledger_months(data)  # newest first
    if not months:
        return snap.investment_ytd_fen, snap.annual_plan_fen, None
    newest = months[0]["month"]
    year = int(newest[:4])
    done = year_to_date(((m["month"], m.get("ytd_fen"), m.get("investment_fen")) for m in months), newest)
    if not snap.annual_plans:
        return done, snap.annual_plan_fen, year
    return done, next((plan.plan_fen for plan in snap.annual_plans if plan.year == year), None), year


def project_row(event: ProjectStateChanged, now: datetime) -> dict[str, Any]:
    snap = event.snapshot
    data = snap.model_dump(mode="json")
    done, plan, year = _investment(snap, data)
    row: dict[str, Any] = {
        "project_id": str(event.project_id), "county_code": event.county_code, "project_code": snap.project_code,
        "name": snap.name, "stage": snap.stage, "nature": snap.nature, "township": snap.township,
        "responsible_unit": snap.responsible_unit, "lead_department": snap.lead_department, "leader": snap.leader,
        "last_record_at": snap.last_source_record_time, "total_investment_fen": snap.total_investment_fen,
        "annual_plan_fen": plan, "investment_ytd_fen": done, "figures_year": year,
        "version": event.version, "snapshot": data, "updated_at": now,
        "households_total": None, "households_signed": None,
    }
    if snap.expropriation:
        latest = max(snap.expropriation, key=lambda p: p.as_of)
        row["households_total"], row["households_signed"] = latest.households_total, latest.households_signed
    for step in STAGE_STEPS.values():
        row[f"{step}_planned"] = row[f"{step}_actual"] = None
    for milestone in snap.milestones or ():
        step = STAGE_STEPS.get(milestone.name)
        if step:
            row[f"{step}_planned"], row[f"{step}_actual"] = milestone.planned, milestone.actual
    return row


# Every column project_row fills, for a batch's known projects in one statement (executemany), built once.
_ROW_COLUMNS = [column.name for column in projects.c if column.name not in ("project_id", "colour_fresh", "colour_stale")]
UPDATE_NEWER = (update(projects).where(projects.c.project_id == bindparam("pid"), projects.c.version < bindparam("newer"))  # older never wins
                .values({name: bindparam(name) for name in _ROW_COLUMNS}))


STORED_VERSIONS = select(projects.c.project_id, projects.c.version).where(projects.c.project_id.in_(bindparam("ids", expanding=True)))


async def _upsert_newest(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    newest: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["project_id"] not in newest or row["version"] > newest[row["project_id"]]["version"]:
            newest[row["project_id"]] = row
    stored = dict((await session.execute(STORED_VERSIONS, {"ids": list(newest)})).all())
    inserts = [dict(row, colour_fresh="green", colour_stale="grey") for pid, row in newest.items() if pid not in stored]
    if inserts:
        await session.execute(inserting(projects), inserts)
    updates = [{"pid": pid, "newer": row["version"], **{name: row[name] for name in _ROW_COLUMNS}}
               for pid, row in newest.items() if pid in stored and row["version"] > stored[pid]]
    if updates:
        await session.execute(UPDATE_NEWER, updates)


async def apply_project_changes(sessions: async_sessionmaker, events: Sequence[ProjectStateChanged], now: datetime) -> int:
    async with sessions() as session, session.begin():
        fresh = await unseen(session, events, now)
        if not fresh:
            return 0
        await _upsert_newest(session, [project_row(e, now) for e in fresh])
        await session.execute(inserting(project_changes), [{
            "event_id": str(e.event_id), "project_id": str(e.project_id), "county_code": e.county_code, "version": e.version,
            "changed_fields": list(e.changed_fields), "source_system": e.source_system, "occurred_at": e.occurred_at,
            "source_record_time": e.source_record_time,
        } for e in fresh])
        await recolour(session, [str(e.project_id) for e in fresh])
        return len(fresh)
