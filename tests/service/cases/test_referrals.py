"""移送: an overrun over 20% is referred to 纪委监委 and 审计局 as records of their own, with the evidence pack, which
they sign for; the project's case goes to the lead department (report and hold construction), never to the leader."""
from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
from cases_support import POLICY_DIR, POLICY_FOR, apply_changes, at, case_rows, open_store, overrun_change
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation.cases.people import add_person
from services.escalation.cases.policy import case_policies
from services.escalation.problems.api import build_problem_api
from services.escalation.problems.policy import problem_policies
from services.escalation.tables import outbox, referrals
from shared.clock import FixedClock

COUNTY = "330106"
DAY = date(2026, 9, 30)


@pytest.fixture
async def sessions(database: tuple[str, str | None]) -> AsyncIterator[async_sessionmaker]:
    engine, factory = await open_store(*database)
    yield factory
    await engine.dispose()


async def referral_rows(sessions: async_sessionmaker) -> list[dict]:
    async with sessions() as session:
        return sorted((dict(r) for r in (await session.execute(select(referrals))).mappings()), key=lambda r: r["target_name"])


async def test_an_overrun_over_20_percent_is_referred_and_its_case_is_the_lead_departments(sessions: async_sessionmaker) -> None:
    await apply_changes(sessions, [overrun_change(COUNTY, 1, 25, lead="区发改局")], POLICY_FOR, DAY, at(DAY))
    [case] = [r for r in await case_rows(sessions) if r["rule_id"] == "R2.budget_overrun"]
    assert (case["ladder_level"], case["target_kind"], case["target_name"]) == (1, "department", "区发改局")
    found = await referral_rows(sessions)
    assert [(r["target_name"], r["state"], r["referred_on"]) for r in found] == [("区纪委监委", "referred", DAY), ("审计局", "referred", DAY)]
    pack = found[0]["pack"]
    assert pack["figures"]["budget_fen"] == "10000000000" and pack["figures"]["overrun_fen"] == "2500000000"
    assert pack["figures"]["committed_cost_fen"] == "12500000000" and pack["figures"]["spent_cost_fen"] == "5000000000"
    assert "不是处理决定" in pack["wording"] and pack["escalation"] == [{"on": "2026-09-30", "step": "raised", "level": 2}]
    told = {(t["to"], t["step"]) for t in pack["told"]}
    assert {("区纪委监委", "referred"), ("审计局", "referred"), ("财政局", "informed"), ("陈立新", "informed")} <= told
    assert ("区发改局", "opened") in told  # the case's opening: who was asked, and when
    # Applying the same facts again refers nothing twice.
    await apply_changes(sessions, [overrun_change(COUNTY, 1, 25, lead="区发改局")], POLICY_FOR, DAY, at(DAY))
    assert len(await referral_rows(sessions)) == 2
    async with sessions() as session:
        subjects = [s for (s,) in (await session.execute(select(outbox.c.subject).where(outbox.c.subject.like("%.referral.%"))))]
    assert sorted(subjects) == [f"county.{COUNTY}.coordination.referral.referred"] * 2


async def test_below_the_line_nothing_is_referred(sessions: async_sessionmaker) -> None:
    await apply_changes(sessions, [overrun_change(COUNTY, 2, 10, lead="区发改局")], POLICY_FOR, DAY, at(DAY))
    assert await referral_rows(sessions) == []


async def test_the_body_signs_for_its_referral_and_no_one_else_can(sessions: async_sessionmaker) -> None:
    await apply_changes(sessions, [overrun_change(COUNTY, 3, 30, lead="区发改局")], POLICY_FOR, DAY, at(DAY))
    tokens = {}
    for login, role, department in (("jw", "department", "区纪委监委"), ("fgj", "department", "区发改局"), ("office", "office", None),
                                    ("chen", "leader", "陈立新")):
        tokens[login] = (await add_person(sessions, COUNTY, login, f"{login}姓名", role, department))[1]
    app = FastAPI()
    app.include_router(build_problem_api(sessions, FixedClock(at(DAY)), POLICY_FOR, problem_policies(POLICY_DIR), case_policies(POLICY_DIR)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as client:
        def call(who: str, method: str, path: str, **kw: object) -> object:
            return client.request(method, path, headers={"Authorization": f"Bearer {tokens[who]}"}, **kw)
        mine = (await call("jw", "GET", "/api/referrals")).json()["referrals"]
        assert [r["target_name"] for r in mine] == ["区纪委监委"]
        assert (await call("fgj", "GET", "/api/referrals")).json()["referrals"] == []
        assert len((await call("office", "GET", "/api/referrals")).json()["referrals"]) == 2
        referral_id = mine[0]["referral_id"]
        assert (await call("fgj", "GET", f"/api/referrals/{referral_id}")).status_code == 403
        assert (await call("office", "POST", f"/api/referrals/{referral_id}/acknowledge", json={})).status_code == 403
        signed = await call("jw", "POST", f"/api/referrals/{referral_id}/acknowledge", json={"note": "已收到，依规处理"})
        assert signed.status_code == 200 and signed.json()["referral"]["acknowledged_by"] == "jw姓名"
        assert (await call("jw", "POST", f"/api/referrals/{referral_id}/acknowledge", json={})).status_code == 409
        detail = (await call("office", "GET", f"/api/referrals/{referral_id}")).json()
        assert [a["action"] for a in detail["actions"]] == ["referred", "acknowledged"]
    async with sessions() as session:
        payloads = [json.loads(bytes(p)) for (p,) in await session.execute(
            select(outbox.c.payload).where(outbox.c.subject.like("%.referral.acknowledged")))]
    assert [(p["action"], [r["name"] for r in p["recipients"]]) for p in payloads] == [("acknowledged", ["区重点项目办"])]
