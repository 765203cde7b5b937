"""The cases API on SQLite and PostgreSQL: tokens, county isolation, department and leader scoping, actions and their audit log."""
from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from cases_support import OVERRUN, actions_of, advance, at, case_app, case_events, case_row, open_store, raise_overrun
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation.cases.people import add_person, disable_person
from shared.clock import FixedClock

DAY = date(2026, 6, 1)  # Monday


@dataclass
class World:
    sessions: async_sessionmaker
    clock: FixedClock
    client: httpx.AsyncClient
    tokens: dict[str, str]
    people: dict[str, str]  # login → person id
    cases: dict[str, str]  # name → case id

    async def call(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who in self.tokens else {}
        return await self.client.request(method, path, headers=headers, **kwargs)

    async def ids(self, who: str, **params: Any) -> set[str]:
        response = await self.call(who, "GET", "/api/cases", params={"rule_id": OVERRUN, **params})
        assert response.status_code == 200, response.text
        return {c["case_id"] for c in response.json()["cases"]}

    def on(self, day: date) -> None:
        self.clock.set(at(day))


PEOPLE = [  # login, county, role, department
    ("office", "330106", "office", None), ("fgj", "330106", "department", "发改局"), ("zrzy", "330106", "department", "自然资源局"),
    ("chen", "330106", "leader", "陈立新"), ("viewer", "330106", "readonly", None), ("yiwu", "330782", "office", None),
]


@pytest.fixture
async def world(database: tuple[str, str | None]) -> AsyncIterator[World]:
    engine, sessions = await open_store(*database)
    cases = {
        "xihu": (await raise_overrun(sessions, DAY, "330106", 1))["case_id"],
        "other_lead": (await raise_overrun(sessions, DAY, "330106", 2, lead="商务局", leader="李四"))["case_id"],
        "yiwu": (await raise_overrun(sessions, DAY, "330782", 3))["case_id"],
    }
    tokens, ids = {}, {}
    for login, county, role, department in PEOPLE:
        person, token = await add_person(sessions, county, login, f"{login}姓名", role, department)
        tokens[login], ids[login] = token, person.person_id
    clock = FixedClock(at(DAY))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=case_app(sessions, clock)), base_url="http://cases") as client:
        yield World(sessions, clock, client, tokens, ids, cases)
    await engine.dispose()


async def test_a_level_off_the_ladder_is_refused_not_a_server_error(world: World) -> None:
    """Fuzzing found ?level=-2**64 a 500 on SQLite (too large for an INTEGER); the ladder is L1 to L5."""
    for level in (-(2**64), 0, 6, 2**63):
        response = await world.call("office", "GET", "/api/cases", params={"level": level})
        assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "level"], (level, response.text)
    assert await world.ids("office", level=1) == await world.ids("office")  # every case here is at L1


async def test_tokens_and_login(world: World) -> None:
    assert (await world.call("nobody", "GET", "/api/me")).status_code == 401
    world.tokens["forged"] = "tjp_330106_forged"
    assert (await world.call("forged", "GET", "/api/me")).status_code == 401
    me = (await world.call("fgj", "GET", "/api/me")).json()
    assert me == {"person_id": world.people["fgj"], "county_code": "330106", "login": "fgj", "name": "fgj姓名", "role": "department",
                  "department": "发改局"}
    login = await world.client.post("/api/login", json={"login": "fgj", "password": world.tokens["fgj"]})
    assert login.status_code == 200 and login.json()["token"] != world.tokens["fgj"] and login.json()["person"] == me
    assert (await world.client.post("/api/login", json={"login": "fgj", "password": world.tokens["zrzy"]})).status_code == 401
    await disable_person(world.sessions, "fgj")
    assert (await world.call("fgj", "GET", "/api/me")).status_code == 401
    assert (await world.client.post("/api/login", json={"login": "fgj", "password": world.tokens["fgj"]})).status_code == 401


@pytest.mark.parametrize(("who", "sees"), [
    ("office", {"xihu", "other_lead"}), ("viewer", {"xihu", "other_lead"}), ("fgj", {"xihu"}), ("chen", {"xihu"}),
    ("zrzy", set()), ("yiwu", {"yiwu"}),
])
async def test_each_person_sees_their_county_as_their_role_allows(world: World, who: str, sees: set[str]) -> None:
    assert await world.ids(who) == {world.cases[name] for name in sees}
    for name, case_id in world.cases.items():
        status = (await world.call(who, "GET", f"/api/cases/{case_id}")).status_code
        same_county = (name == "yiwu") == (who == "yiwu")
        assert status == (200 if name in sees else 403 if same_county else 404), (who, name)


async def test_filters(world: World) -> None:
    xihu = world.cases["xihu"]
    assert xihu in await world.ids("office", state="opened", level=1, target="发改局", due_before="2026-06-02")
    assert await world.ids("office", due_before="2026-06-01") == set()
    assert await world.ids("office", state="closed") == set()
    row = await case_row(world.sessions, xihu)
    assert await world.ids("office", project_id=row["project_id"]) == {xihu}


async def test_the_target_works_the_case_and_the_office_reviews_and_closes(world: World) -> None:
    case_id = world.cases["xihu"]
    path = f"/api/cases/{case_id}"
    for who in ("viewer", "zrzy", "chen"):
        assert (await world.call(who, "POST", f"{path}/acknowledge", json={"note": ""})).status_code == 403
    assert (await world.call("fgj", "POST", f"{path}/reply", json={"explanation": "说明", "remedy_plan": "方案"})).status_code == 409
    opened = (await world.call("fgj", "GET", path)).json()["case"]
    assert opened["due_step"] == "acknowledge"
    world.on(date(2026, 6, 2))
    signed = await world.call("fgj", "POST", f"{path}/acknowledge", json={"note": "已收到"})
    assert signed.status_code == 200 and signed.json()["case"]["state"] == "acknowledged"
    assert signed.json()["case"]["due_on"] == "2026-06-09"  # five working days after Tuesday 2 June
    assert signed.json()["case"]["due_step"] == "reply"  # the date a page shows is the reply's (反馈期限), not the signing's
    reply = {"explanation": "材料价格上涨", "remedy_plan": "报请调整概算"}
    assert (await world.call("fgj", "POST", f"{path}/reply", json=reply)).json()["case"]["state"] == "replied"
    assert (await world.call("fgj", "POST", f"{path}/review", json={"accepted": True, "note": ""})).status_code == 403
    world.on(date(2026, 6, 3))
    rejected = await world.call("office", "POST", f"{path}/review", json={"accepted": False, "note": "方案不具体"})
    assert rejected.json()["case"]["state"] == "acknowledged" and rejected.json()["case"]["due_on"] == "2026-06-10"
    await world.call("fgj", "POST", f"{path}/reply", json=reply)
    assert (await world.call("office", "POST", f"{path}/close", json={"note": ""})).status_code == 409
    await world.call("office", "POST", f"{path}/review", json={"accepted": True, "note": "同意"})
    closed = await world.call("office", "POST", f"{path}/close", json={"note": "已办结"})
    assert closed.status_code == 200 and closed.json()["case"]["state"] == "closed"
    late = await world.call("fgj", "POST", f"{path}/acknowledge", json={"note": ""})
    assert late.status_code == 409 and "closed" in late.json()["detail"]

    detail = (await world.call("viewer", "GET", path)).json()
    assert detail["escalation"]["rule_id"] == OVERRUN and detail["escalation"]["evidence"]["overrun_percent"] == "5.00"
    audit = [(a["action"], a["actor_id"], a["actor_role"], a["from_state"], a["to_state"], a["as_of"]) for a in detail["actions"]]
    fgj, office = world.people["fgj"], world.people["office"]
    assert audit == [
        ("opened", None, "system", None, "opened", "2026-06-01"),
        ("acknowledged", fgj, "department", "opened", "acknowledged", "2026-06-02"),
        ("replied", fgj, "department", "acknowledged", "replied", "2026-06-02"),
        ("reviewed", office, "office", "replied", "acknowledged", "2026-06-03"),
        ("replied", fgj, "department", "acknowledged", "replied", "2026-06-03"),
        ("reviewed", office, "office", "replied", "reviewed", "2026-06-03"),
        ("closed", office, "office", "reviewed", "closed", "2026-06-03"),
    ]
    assert all(a["actor_name"] and a["acted_at"] for a in detail["actions"])
    assert detail["actions"][2]["details"] == reply
    events = await case_events(world.sessions, case_id)
    assert [(e["action"], e["state"], e["actor"]) for e in events] == [(a, to, who) for a, who, _, _, to, _ in audit]
    assert [e["event_id"] for e in events] == [a["event_id"] for a in await actions_of(world.sessions, case_id)]


async def test_the_office_decides_and_readonly_never_acts(world: World) -> None:
    path = f"/api/cases/{world.cases['xihu']}"
    office_only = (("reopen", {"note": ""}), ("close", {"note": ""}), ("review", {"accepted": True, "note": ""}),
                   ("exception/decision", {"confirmed": True, "note": ""}))
    for action, body in (*office_only, ("acknowledge", {"note": ""}), ("exception", {"kind": "tolerance", "reason": "容错"})):
        assert (await world.call("viewer", "POST", f"{path}/{action}", json=body)).status_code == 403, action
    for action, body in office_only:
        assert (await world.call("fgj", "POST", f"{path}/{action}", json=body)).status_code == 403, action
    assert (await world.call("office", "POST", f"{path}/reopen", json={"note": ""})).status_code == 409  # opened: nothing to reopen
    assert await actions_of(world.sessions, world.cases["xihu"]) == (await actions_of(world.sessions, world.cases["xihu"]))[:1]


async def test_a_claimed_delay_pauses_the_clocks_and_a_confirmed_one_retargets(world: World) -> None:
    case_id = world.cases["xihu"]
    path = f"/api/cases/{case_id}"
    claim = {"kind": "government_delay", "reason": "土地未按期交付", "blocking_department": "自然资源局"}
    paused = await world.call("fgj", "POST", f"{path}/exception", json=claim)
    assert paused.status_code == 200 and paused.json()["case"]["clocks_paused"] and paused.json()["case"]["paused_since"] == "2026-06-01"
    assert (await world.call("fgj", "POST", f"{path}/exception", json=claim)).status_code == 409
    assert [e for e in await advance(world.sessions, date(2026, 6, 20)) if str(e.case_id) == case_id] == []
    assert (await world.call("fgj", "POST", f"{path}/exception/decision", json={"confirmed": True, "note": ""})).status_code == 403
    world.on(date(2026, 6, 22))
    decided = await world.call("office", "POST", f"{path}/exception/decision", json={"confirmed": True, "note": "属实"})
    case = decided.json()["case"]
    assert (case["target_kind"], case["target_name"], case["state"], case["clocks_paused"]) == ("department", "自然资源局", "opened", False)
    assert case["paused_days"] == 14  # 1–19 June, less the weekends and the Dragon Boat Festival (19 June)
    assert case["exception"]["status"] == "confirmed" and case["due_on"] == "2026-06-23"
    assert world.cases["xihu"] in await world.ids("zrzy")
    assert (await world.call("zrzy", "POST", f"{path}/acknowledge", json={"note": "接办"})).status_code == 200
    events = await case_events(world.sessions, case_id)
    assert [e["action"] for e in events][-3:] == ["exception_claimed", "exception_confirmed", "acknowledged"]
    assert {r["name"] for r in events[-2]["recipients"] if r["role"] == "action"} >= {"自然资源局"}


async def test_a_rejected_claim_resumes_the_clocks_pushed_by_the_paused_working_days(world: World) -> None:
    case_id = world.cases["other_lead"]
    path = f"/api/cases/{case_id}"
    assert (await case_row(world.sessions, case_id))["due_on"] == date(2026, 6, 2)
    await world.call("office", "POST", f"{path}/exception", json={"kind": "force_majeure", "reason": "暴雨"})
    world.on(date(2026, 6, 4))  # paused Monday 1 to Wednesday 3 June: three working days
    rejected = (await world.call("office", "POST", f"{path}/exception/decision", json={"confirmed": False, "note": "不属实"})).json()["case"]
    assert (rejected["target_name"], rejected["paused_days"], rejected["due_on"]) == ("商务局", 3, "2026-06-05")
    assert [e.ladder_level for e in await advance(world.sessions, date(2026, 6, 5)) if str(e.case_id) == case_id] == []
    assert [e.ladder_level for e in await advance(world.sessions, date(2026, 6, 6)) if str(e.case_id) == case_id] == [2]
