"""One project's page: its escalations and cases with their histories, its change log, its timeline and 征迁 by week."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.console.tables import case_events, cases, escalation_events, escalations, project_changes


async def alerts(session: AsyncSession, project_id: str) -> list[dict[str, Any]]:
    """Escalations, open first, each with its event history and its case (with the case's history)."""
    rows = [dict(r._mapping) for r in await session.execute(
        select(escalations).where(escalations.c.project_id == project_id)
        .order_by(escalations.c.status, escalations.c.level.desc(), escalations.c.changed_at.desc()))]
    history = [dict(r._mapping) for r in await session.execute(
        select(escalation_events).where(escalation_events.c.project_id == project_id).order_by(escalation_events.c.occurred_at))]
    case_rows = {r.escalation_id: dict(r._mapping) for r in await session.execute(select(cases).where(cases.c.project_id == project_id))}
    steps = [dict(r._mapping) for r in await session.execute(
        select(case_events).where(case_events.c.project_id == project_id).order_by(case_events.c.occurred_at))]
    for row in rows:
        row["history"] = [h for h in history if h["escalation_id"] == row["escalation_id"]]
        row["case"] = case_rows.get(row["escalation_id"])
        if row["case"]:
            row["case"]["history"] = [s for s in steps if s["case_id"] == row["case"]["case_id"]]
    return rows


async def change_log(session: AsyncSession, project_id: str, limit: int = 50) -> list[dict[str, Any]]:
    return [dict(r._mapping) for r in await session.execute(
        select(project_changes).where(project_changes.c.project_id == project_id)
        .order_by(project_changes.c.version.desc()).limit(limit))]


def timeline(milestones: list[dict[str, Any]]) -> dict[str, Any]:
    """Positions (0–100) of each milestone's baseline, plan and actual on one shared axis."""
    dates = [date.fromisoformat(m[k]) for m in milestones for k in ("baseline", "planned", "actual") if m.get(k)]
    if not dates:
        return {"rows": [], "start": None, "end": None}
    start, end = min(dates), max(dates)
    span = max((end - start).days, 1)

    def at(value: str | None) -> float | None:
        return None if not value else 100 * (date.fromisoformat(value) - start).days / span

    ordered = sorted(milestones, key=lambda m: m.get("baseline") or m.get("planned") or m.get("actual") or "9999")
    rows = [{**m, "x_baseline": at(m.get("baseline")), "x_planned": at(m.get("planned")), "x_actual": at(m.get("actual")),
             "late": bool(m.get("planned") and (m.get("actual") or "9999") > m["planned"])} for m in ordered]
    return {"rows": rows, "start": start, "end": end}


def expropriation_by_week(progress: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The last report of each ISO week, in order, with the share signed."""
    weekly: dict[tuple[int, int], dict[str, Any]] = {}
    for item in sorted(progress, key=lambda p: p["as_of"]):
        year, week, _ = date.fromisoformat(item["as_of"]).isocalendar()
        weekly[(year, week)] = item
    out = []
    for (year, week), item in weekly.items():
        total = item["households_total"]
        out.append({"week": f"{year}-W{week:02d}", **item,
                    "percent": 100 * item["households_signed"] / total if total else None})
    return out


def ledger_months(snapshot: dict[str, Any]) -> list[dict[str, Any]]:
    """The monthly ledger, newest first; a county that reports only this month's flat figures (ledger_month,
    investment_month_fen, investment_ytd_fen) gets that month's row from them, as escalation reads them (tracker files
    them under their month itself now; this is for snapshots from before)."""
    months = {m["month"]: dict(m) for m in snapshot.get("ledger") or []}
    month = snapshot.get("ledger_month")
    if month:
        row = months.setdefault(month, {"month": month})
        if row.get("investment_fen") is None:
            row["investment_fen"] = snapshot.get("investment_month_fen")
        if row.get("ytd_fen") is None:
            row["ytd_fen"] = snapshot.get("investment_ytd_fen")
    return [months[m] for m in sorted(months, reverse=True)]
