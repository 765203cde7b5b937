"""Cases on a real database: opened with the escalation, climbing L1 → L5 as the days pass, following the rule, left for people when cleared."""
from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta

import pytest
from cases_support import (
    OVERRUN,
    POLICY_FOR,
    actions_of,
    advance,
    apply_changes,
    at,
    case_events,
    case_row,
    case_rows,
    idle_change,
    open_store,
    overrun_change,
    raise_overrun,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation.service import sweep
from services.escalation.tables import referrals
from services.notifier.messages_cases import render_case
from shared.contracts import CaseChanged


@pytest.fixture
async def sessions(database: tuple[str, str | None]) -> AsyncIterator[async_sessionmaker]:
    engine, factory = await open_store(*database)
    yield factory
    await engine.dispose()


async def test_an_escalation_opens_its_case_with_an_audit_row_and_an_event(sessions: async_sessionmaker) -> None:
    row = await raise_overrun(sessions, date(2026, 9, 30))
    assert (row["state"], row["ladder_level"], row["target_kind"], row["target_name"]) == ("opened", 1, "department", "发改局")
    assert (row["due_on"], row["due_provisional"], row["version"]) == (date(2026, 10, 8), False, 1)  # over National Day
    [opened] = await actions_of(sessions, row["case_id"])
    assert (opened["action"], opened["actor_id"], opened["actor_name"], opened["to_state"], opened["as_of"]) == (
        "opened", None, "系统", "opened", date(2026, 9, 30))
    [event] = await case_events(sessions, row["case_id"])
    assert event["nats_subject"] == "county.330106.case.opened"
    assert (event["event_id"], event["action"], event["ladder_level"], event["due_on"]) == (opened["event_id"], "opened", 1, "2026-10-08")
    assert {(r["name"], r["role"]) for r in event["recipients"]} >= {("发改局", "action"), ("区重点项目办", "informed")}


async def test_missed_deadlines_climb_l1_to_l5_once_each_and_a_second_run_changes_nothing(sessions: async_sessionmaker) -> None:
    case_id = (await raise_overrun(sessions, date(2026, 9, 30)))["case_id"]
    climbs = []
    day = date(2026, 9, 30)
    while day <= date(2027, 2, 20):
        first = [e for e in await advance(sessions, day) if str(e.case_id) == case_id]
        assert await advance(sessions, day) == []  # the same day again: nothing left to do
        climbs += [(day, e.ladder_level, e.due_provisional) for e in first]
        day += timedelta(days=1)
    assert climbs == [
        (date(2026, 10, 9), 2, False),  # not signed by 8 October (National Day skipped) → leader in charge, with a letter
        (date(2026, 10, 11), 3, False),  # the leader did not sign by Saturday 10 October, a working day → special meeting
        (date(2027, 1, 10), 4, True),  # red since 9 October: three months end 9 January → scheduling meeting
        (date(2027, 2, 6), 5, True),  # 20 working days of 2027 (weekends only, provisional) ended 5 February → recommendation
    ]
    events = await case_events(sessions, case_id)
    assert [(e["action"], e["ladder_level"]) for e in events] == [("opened", 1), ("climbed", 2), ("climbed", 3), ("climbed", 4), ("climbed", 5)]
    assert len({e["event_id"] for e in events}) == 5
    by_level = {e["ladder_level"]: e for e in events}
    assert {(r["kind"], r["name"]) for r in by_level[2]["recipients"] if r["role"] == "action"} == {("leader", "陈立新"), ("department", "发改局")}
    assert {r["name"] for r in by_level[4]["recipients"] if r["role"] == "action"} == {"区重点项目办", "区重点项目调度会"}
    assert {r["name"] for r in by_level[5]["recipients"] if r["role"] == "action"} == {"区纪委监委", "区委组织部"}  # 330106.toml names its own 组织部
    assert all(e["nats_subject"] == f"county.330106.case.{e['action']}" for e in events)

    row = await case_row(sessions, case_id)
    assert (row["ladder_level"], row["state"], row["target_kind"], row["red_since"]) == (5, "opened", "office", date(2026, 10, 9))
    assert row["letter"]["deadline"] == "2026-10-22" and row["letter"]["signed_by"] == "陈立新"
    assert row["letter"]["number"].startswith("督办〔2026〕")
    climbed = [a for a in await actions_of(sessions, case_id) if a["action"] == "climbed"]
    assert [(a["actor_role"], a["from_state"], a["ladder_level"]) for a in climbed] == [("system", "opened", n) for n in (2, 3, 4, 5)]
    pack = climbed[-1]["details"]["evidence_pack"]
    assert pack["kind"] == "accountability_recommendation" and "建议" in pack["wording"] and "不是问责决定" in pack["wording"]
    assert pack["receivers"] == ["区纪委监委", "区委组织部"]
    assert pack["thresholds"]["rule_id"] == OVERRUN and pack["thresholds"]["evidence"]["overrun_percent"] == "5.00"
    assert [item["action"] for item in pack["timeline"]] == ["raised", "opened", "climbed", "climbed", "climbed"]
    assert [letter["number"] for letter in pack["letters"]] == [row["letter"]["number"]]


async def test_the_rule_rising_to_a_referral_keeps_the_case_with_the_lead_department(sessions: async_sessionmaker) -> None:
    """5% over, then 25%: the rule's new level refers the overrun to 纪委监委 and 审计局 (their own records); the
    project's case is not lifted to the leader but stays with the lead department, to report and hold construction."""
    case_id = (await raise_overrun(sessions, date(2026, 6, 1)))["case_id"]
    await apply_changes(sessions, [overrun_change("330106", 1, 25).model_copy(update={"version": 2, "event_id": _id("v2")})],
                        POLICY_FOR, date(2026, 6, 2), at(date(2026, 6, 2)))
    row = await case_row(sessions, case_id)
    assert (row["ladder_level"], row["target_kind"], row["target_name"]) == (1, "department", "发改局")
    assert not [a for a in await actions_of(sessions, case_id) if a["action"] == "climbed"]
    async with sessions() as session:
        bodies = sorted((await session.execute(select(referrals.c.target_name))).scalars())
    assert bodies == sorted(["区纪委监委", "审计局"])
    # Back to 5% over: the escalation keeps its level (levels only climb), and nothing is referred again.
    await apply_changes(sessions, [overrun_change("330106", 1, 5).model_copy(update={"version": 3, "event_id": _id("v3")})],
                        POLICY_FOR, date(2026, 6, 3), at(date(2026, 6, 3)))
    assert (await case_row(sessions, case_id))["ladder_level"] == 1
    async with sessions() as session:
        assert len((await session.execute(select(referrals))).all()) == 2


async def test_the_rule_rising_to_red_lifts_the_case_to_l2_and_never_lowers_it(sessions: async_sessionmaker) -> None:
    """Land warned at 9 months (yellow, L1), idle a full year later (red): the case climbs to the leader's letter."""
    await apply_changes(sessions, [idle_change("330106", 7, agreed_start="2025-09-01")], POLICY_FOR, date(2026, 6, 2), at(date(2026, 6, 2)))
    [row] = [r for r in await case_rows(sessions) if r["rule_id"] == "R1.idle_land"]
    assert row["ladder_level"] == 1
    await sweep(sessions, POLICY_FOR, date(2026, 9, 2), at(date(2026, 9, 2)))
    row = await case_row(sessions, row["case_id"])
    assert (row["ladder_level"], row["target_kind"], row["target_name"]) == (2, "leader", "陈立新")
    [climb] = [a for a in await actions_of(sessions, row["case_id"]) if a["action"] == "climbed"]
    assert climb["note"].startswith("规则升级") and climb["as_of"] == date(2026, 9, 2)


async def test_a_cleared_condition_waits_for_review_and_stops_climbing(sessions: async_sessionmaker) -> None:
    case_id = (await raise_overrun(sessions, date(2026, 6, 1)))["case_id"]
    await apply_changes(sessions, [overrun_change("330106", 1, 0).model_copy(update={"version": 2, "event_id": _id("v2")})],
                        POLICY_FOR, date(2026, 6, 2), at(date(2026, 6, 2)))
    row = await case_row(sessions, case_id)
    assert (row["state"], row["due_on"], row["closed_on"]) == ("replied", None, None)
    last = (await actions_of(sessions, case_id))[-1]
    assert (last["action"], last["note"], last["actor_name"], last["from_state"]) == ("replied", "条件已消除", "系统", "opened")
    assert [e for e in await advance(sessions, date(2026, 9, 1)) if str(e.case_id) == case_id] == []


async def test_a_condition_cleared_the_day_it_opened_withdraws_the_untouched_case_and_tells_who_was_told(
        sessions: async_sessionmaker) -> None:
    """A corrected record the same day (or records of one day taken in another order) leaves no case to review."""
    opened = await raise_overrun(sessions, date(2026, 6, 1))
    await apply_changes(sessions, [overrun_change("330106", 1, 0).model_copy(update={"version": 2, "event_id": _id("v2")})],
                        POLICY_FOR, date(2026, 6, 1), at(date(2026, 6, 1)))
    row = await case_row(sessions, opened["case_id"])
    assert (row["state"], row["due_on"], row["closed_on"]) == ("withdrawn", None, date(2026, 6, 1))
    last = (await actions_of(sessions, opened["case_id"]))[-1]
    assert (last["action"], last["actor_name"], last["from_state"], last["to_state"]) == ("withdrawn", "系统", "opened", "withdrawn")
    first, withdrawn = await case_events(sessions, opened["case_id"])
    assert withdrawn["nats_subject"].endswith(".case.withdrawn") and withdrawn["summary"].endswith("撤销督办")
    assert {r["name"] for r in withdrawn["recipients"]} == {r["name"] for r in first["recipients"]}
    assert {r["role"] for r in withdrawn["recipients"]} == {"informed"}
    event = CaseChanged.model_validate({k: v for k, v in withdrawn.items() if k != "nats_subject"})
    message = render_case(event, event.recipients[0]).text_plain
    assert "已撤销，无需签收办理" in message and "请于" not in message
    assert [e for e in await advance(sessions, date(2026, 9, 1)) if str(e.case_id) == opened["case_id"]] == []


async def test_the_sweep_advances_the_case_clocks(sessions: async_sessionmaker) -> None:
    case_id = (await raise_overrun(sessions, date(2026, 9, 30)))["case_id"]
    report = await sweep(sessions, POLICY_FOR, date(2026, 10, 9), at(date(2026, 10, 9)))
    assert report.case_events >= 1
    assert (await case_row(sessions, case_id))["ladder_level"] == 2
    again = await sweep(sessions, POLICY_FOR, date(2026, 10, 9), at(date(2026, 10, 9)))
    assert (again.events, again.case_events) == (0, 0)


def _id(label: str):  # noqa: ANN202 - a uuid for a follow-up version of the test project
    import uuid

    return uuid.uuid5(uuid.NAMESPACE_URL, f"case-test-follow-up|{label}")
