"""A case goes where the rule says: when a rule's new level names another department, the case (or its letter) moves there."""
from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from cases_support import POLICY_FOR, actions_of, advance, apply_changes, at, case_events, case_rows, open_store, overrun_change
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation.service import sweep
from shared.contracts import ProjectSnapshot, ProjectStateChanged

COUNTY = "330106"
IDLE = "R1.idle_land"
LAPSE = "R7.approval_lapse"


@pytest.fixture
async def sessions(database: tuple[str, str | None]) -> AsyncIterator[async_sessionmaker]:
    engine, factory = await open_store(*database)
    yield factory
    await engine.dispose()


def change(n: int, **facts: Any) -> ProjectStateChanged:
    pid = uuid.uuid5(uuid.NAMESPACE_URL, f"follow-rule|{n}")
    snap = ProjectSnapshot.model_validate({"project_id": pid, "project_code": f"2403-{COUNTY}-04-01-{n:06d}", "name": f"跟随规则{n}",
                                           "leader": "陈立新", "lead_department": "区发改局", "responsible_unit": "某建设公司", **facts})
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"follow-rule-state|{pid}")
    return ProjectStateChanged(event_id=event_id, occurred_at=datetime(2025, 1, 1, tzinfo=UTC), county_code=COUNTY,
                               correlation_id=str(pid), project_id=pid, version=1, changed_fields=tuple(facts), snapshot=snap,
                               caused_by=uuid.uuid5(uuid.NAMESPACE_URL, f"follow-rule-update|{pid}"), source_system="土地供应台账")


async def the_case(sessions: async_sessionmaker, rule_id: str) -> dict[str, Any]:
    [row] = [r for r in await case_rows(sessions) if r["rule_id"] == rule_id]
    return row


def idle_parcel() -> dict[str, Any]:
    # Agreed start 2025-03-01, never started: warned from 2025-12-02 (9 months), idle (fee) from 2026-03-02.
    return {"land_parcels": [{"parcel_id": "XH-F1", "agreed_start_date": "2025-03-01", "land_price_fen": 10_000_000_00}]}


async def test_idle_land_turning_red_hands_the_letter_to_the_land_bureau(sessions: async_sessionmaker) -> None:
    await apply_changes(sessions, [change(1, **idle_parcel())], POLICY_FOR, date(2025, 12, 2), at(date(2025, 12, 2)))
    warned = await the_case(sessions, IDLE)
    assert (warned["ladder_level"], warned["target_name"]) == (1, "区发改局")  # a warning: the project's own lead department
    [opened] = await case_events(sessions, warned["case_id"])
    assert opened["level_name"] == "责任部门督办"

    await sweep(sessions, POLICY_FOR, date(2026, 3, 2), at(date(2026, 3, 2)))
    red = await the_case(sessions, IDLE)
    assert (red["ladder_level"], red["target_kind"], red["target_name"]) == (2, "leader", "陈立新")
    assert red["letter"]["handler_department"] == "自然资源局"  # the fee decision is the land bureau's to make
    climbed = [e for e in await case_events(sessions, red["case_id"]) if e["action"] == "climbed"][-1]
    assert ("自然资源局", "action") in {(r["name"], r["role"]) for r in climbed["recipients"]}


async def test_a_case_already_at_the_leader_is_handed_to_the_land_bureau_when_the_land_turns_idle(sessions: async_sessionmaker) -> None:
    await apply_changes(sessions, [change(2, **idle_parcel())], POLICY_FOR, date(2025, 12, 2), at(date(2025, 12, 2)))
    case_id = (await the_case(sessions, IDLE))["case_id"]
    await advance(sessions, date(2026, 3, 1))  # nobody signed: the case climbed to the leader, with a letter to 区发改局
    before = await the_case(sessions, IDLE)
    assert before["ladder_level"] == 2 and before["letter"]["handler_department"] == "区发改局"

    await sweep(sessions, POLICY_FOR, date(2026, 3, 2), at(date(2026, 3, 2)))
    after = await the_case(sessions, IDLE)
    assert after["letter"]["handler_department"] == "自然资源局"
    assert after["letter"]["number"] == before["letter"]["number"]  # the same letter, handed on
    [moved] = [a for a in await actions_of(sessions, case_id) if a["action"] == "retargeted"]
    assert moved["ladder_level"] == before["ladder_level"]  # a move, not a climb
    assert (moved["actor_role"], moved["details"]["letter_handler"], moved["as_of"]) == ("system", "自然资源局", date(2026, 3, 2))
    [event] = [e for e in await case_events(sessions, case_id) if e["action"] == "retargeted"]
    assert ("自然资源局", "action") in {(r["name"], r["role"]) for r in event["recipients"]}

    await sweep(sessions, POLICY_FOR, date(2026, 3, 3), at(date(2026, 3, 3)))  # nothing new: no second move
    assert len([a for a in await actions_of(sessions, case_id) if a["action"] == "retargeted"]) == 1


async def test_an_approval_that_lapses_moves_the_case_from_the_unit_to_the_development_bureau(sessions: async_sessionmaker) -> None:
    approval = {"approval": {"kind": "approved", "approved_on": "2024-06-10"}}  # lapses after 2026-06-10; warned from 03-11
    await apply_changes(sessions, [change(3, responsible_unit=None, lead_department=None, **approval)], POLICY_FOR,
                        date(2026, 4, 1), at(date(2026, 4, 1)))
    warned = await the_case(sessions, LAPSE)
    assert (warned["ladder_level"], warned["target_kind"], warned["target_name"]) == (1, "office", "区重点项目办")
    [opened] = await case_events(sessions, warned["case_id"])
    assert opened["level_name"] == "项目办督办"  # the office holds it: not labelled as a department's

    await sweep(sessions, POLICY_FOR, date(2026, 6, 11), at(date(2026, 6, 11)))
    lapsed = await the_case(sessions, LAPSE)
    assert lapsed["ladder_level"] == 2 and lapsed["letter"]["handler_department"] == "发改局"


async def test_an_overrun_referred_to_supervision_never_makes_the_commission_the_case_department(sessions: async_sessionmaker) -> None:
    # No lead department on record: the commission the rule refers the overrun to must not stand in for one.
    leaderless = overrun_change(COUNTY, 7, 25, lead=None)  # type: ignore[arg-type]
    await apply_changes(sessions, [leaderless], POLICY_FOR, date(2026, 9, 30), at(date(2026, 9, 30)))
    [row] = [r for r in await case_rows(sessions) if r["rule_id"] == "R2.budget_overrun"]
    # The case stays with the project (here its responsible unit, for want of a lead department); the bodies get referrals.
    assert (row["ladder_level"], row["target_kind"], row["target_name"]) == (1, "department", "住建局")
