"""移送: a finding whose rule addresses an oversight body (纪委监委, 审计局) is referred to that body as a record of
its own, with the evidence pack (the figures, the dates, who was told when), until the body acknowledges it.

A referral is not a task on the ladder: the project's own case stays with the lead department (report and hold
construction, hooks.colour_of), and the body decides what it does with the referral.
"""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.escalation.domain.findings import Finding
from services.escalation.domain.policy import Policy
from services.escalation.problems.store import Actor, Step, record, record_new
from services.escalation.tables import case_actions, cases, escalation_history, referrals
from shared.contracts import CoordinationChanged

NAMESPACE = uuid.UUID("8f3b2c1d-6e5a-4b7c-9d0e-1f2a3b4c5d6e")
STATE_NAMES = {"referred": "已移送", "acknowledged": "已签收"}


def oversight_bodies(policy: Policy) -> tuple[str, ...]:
    return (policy.discipline_commission, policy.audit_office)


def referred_to(finding: Finding, policy: Policy) -> tuple[str, ...]:
    """The oversight bodies the finding asks to act: a referral each."""
    bodies = oversight_bodies(policy)
    return tuple(a.name for a in finding.audience if a.kind == "department" and a.role == "action" and a.name in bodies)


def referral_id_for(escalation_id: str, body: str) -> str:
    return str(uuid.uuid5(NAMESPACE, f"referral|{escalation_id}|{body}"))


def _day(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def pack(finding: Finding, body: str, project_title: str, as_of: date, history: Sequence[dict[str, Any]],
         case_steps: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Pure: the evidence pack, JSON-ready. The figures are the finding's evidence (budget, adjustments, commitments,
    payments, the overrun and the threshold); the timeline is the escalation's levels and the case's steps, oldest first."""
    told = [{"on": _day(s["as_of"]), "to": s["target"], "step": s["action"], "by": s["actor_name"], "note": s["note"]} for s in case_steps]
    told += [{"on": as_of.isoformat(), "to": a.name, "step": "informed" if a.role == "informed" else "referred", "by": "系统", "note": ""}
             for a in finding.audience]
    return {
        "kind": "referral",
        "title": f"关于{project_title}{finding.level_name}有关情况的移送函",
        "wording": f"现将{project_title}有关情况及证据材料移送{body}，请依规依纪依法处理。本函为移送，不是处理决定。",
        "to": body,
        "as_of": as_of.isoformat(),
        "rule_id": finding.rule_id,
        "rule_version": finding.rule_version,
        "level_name": finding.level_name,
        "summary": finding.summary,
        "figures": dict(finding.evidence),
        "escalation": [{"on": _day(h["as_of"]), "step": h["kind"], "level": h["level"]} for h in history],
        "told": sorted(told, key=lambda t: t["on"]),
    }


async def refer_all(session: AsyncSession, items: Sequence[tuple[str, dict[str, Any], Policy, Finding]], as_of: date,
                    now: datetime) -> list[CoordinationChanged]:
    """A referral per (escalation, body) that has none yet, in the Recorder's transaction."""
    wanted = [(referral_id_for(esc_id, body), esc_id, project, policy, finding, body) for esc_id, project, policy, finding in items
              for body in referred_to(finding, policy)]
    if not wanted:
        return []
    existing = set((await session.execute(select(referrals.c.referral_id).where(
        referrals.c.referral_id.in_([w[0] for w in wanted])))).scalars())
    wanted = [w for w in wanted if w[0] not in existing]
    if not wanted:
        return []
    # The evidence of every escalation referred here, read in two statements (a first sweep refers thousands).
    esc_ids = sorted({w[1] for w in wanted})
    history: dict[str, list[dict[str, Any]]] = {}
    for r in (await session.execute(select(escalation_history).where(escalation_history.c.escalation_id.in_(esc_ids))
                                    .order_by(escalation_history.c.id))).mappings():
        history.setdefault(r["escalation_id"], []).append(dict(r))
    case_steps: dict[str, list[dict[str, Any]]] = {}
    for r in (await session.execute(
            select(cases.c.escalation_id, case_actions.c.as_of, case_actions.c.action, case_actions.c.actor_name, case_actions.c.note,
                   cases.c.target_name.label("target"))
            .join(cases, cases.c.case_id == case_actions.c.case_id).where(cases.c.escalation_id.in_(esc_ids))
            .order_by(case_actions.c.id))).mappings():
        case_steps.setdefault(r["escalation_id"], []).append(dict(r))
    steps = []
    for referral_id, esc_id, project, policy, finding, body in wanted:
        title = project.get("name") or project.get("project_code") or project["project_id"]
        row = {"referral_id": referral_id, "county_code": project["county_code"], "escalation_id": esc_id,
               "project_id": project["project_id"], "rule_id": finding.rule_id, "target_kind": "department", "target_name": body,
               "state": "referred", "pack": pack(finding, body, title, as_of, history.get(esc_id, []), case_steps.get(esc_id, [])),
               "referred_on": as_of}
        told = (("department", body, "action"), ("office", policy.project_office, "informed"))
        steps.append((Step("referral", referral_id, project["county_code"], "referred", row, None, None, told, note=finding.summary,
                           project_id=project["project_id"]), f"移送{body}：{finding.summary}"))
    return await record_new(session, steps, Actor(None, "系统", "system"), as_of, now)


async def acknowledge(session: AsyncSession, row: dict[str, Any], actor: Actor, office: str, note: str, as_of: date,
                      now: datetime) -> CoordinationChanged:
    """The body signs for the referral (签收); the office is told."""
    values = {"state": "acknowledged", "acknowledged_on": as_of, "acknowledged_by": actor.name}
    return await record(session, Step("referral", row["referral_id"], row["county_code"], "acknowledged", values, row["version"],
                                      row["state"], (("office", office, "action"),), note=note, project_id=row["project_id"]),
                        actor, as_of, now, f"{row['target_name']}已签收移送材料：{row['pack']['title']}")
