"""The problem list, meetings and assignments on SQLite and PostgreSQL: from the ledgers' 存在问题 through the levels,
a meeting's agenda and decision, to an assignment that is late, climbs and is closed; with who may see and do what."""
from __future__ import annotations

import io
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest
from docx import Document
from fastapi import FastAPI
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation import visible_page
from services.escalation.cases.people import add_person
from services.escalation.cases.policy import case_policies
from services.escalation.policy_file import policies
from services.escalation.problems.api import build_problem_api
from services.escalation.problems.clock import advance_coordination
from services.escalation.problems.policy import problem_policies
from services.escalation.service import apply_changes
from services.escalation.tables import assignments, outbox, problems
from shared.clock import FixedClock
from shared.contracts import ProjectSnapshot, ProjectStateChanged
from shared.db import make_engine, migrate, session_factory
from tests.support.assignment_rows import assignment_row

ROOT = Path(__file__).resolve().parents[3]
POLICY_DIR = ROOT / "config" / "policies"
POLICY_FOR, PROBLEM_POLICY_FOR = policies(POLICY_DIR), problem_policies(POLICY_DIR)
BEIJING = timezone(timedelta(hours=8))
COUNTY, OTHER = "330106", "330782"
LAND = "南区地块尚未完成征收交付，影响开工"


def at(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), BEIJING).astimezone(UTC)


def pid(county: str, n: int) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"problem-test|{county}|{n}")


def ledger(county: str, n: int, version: int, reported: list[dict[str, Any]]) -> ProjectStateChanged:
    """Tracker's state after a ledger upload whose 存在问题 column named `reported` (merged by key, as tracker does)."""
    project = pid(county, n)
    snap = ProjectSnapshot.model_validate({
        "project_id": project, "project_code": f"2403-{county}-04-01-{n:06d}", "name": f"问题测试项目{n}", "stage": "signed",
        "leader": "陈立新", "lead_department": "发改局", "responsible_unit": "城投公司", "reported_problems": reported})
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"state|{project}|{version}")
    return ProjectStateChanged(
        event_id=event_id, occurred_at=datetime(2026, 1, 1, tzinfo=UTC), county_code=county, correlation_id=f"{county}:{project}",
        project_id=project, version=version, changed_fields=tuple(f"reported_problems.{r['key']}.month" for r in reported), snapshot=snap,
        caused_by=uuid.uuid5(uuid.NAMESPACE_URL, f"update|{event_id}"), source_system="县发改局月度推进表")


def problem(key: str, description: str, month: str, category: str = "用地", department: str | None = "自然资源局") -> dict[str, Any]:
    return {"key": key, "description": description, "category": category, "responsible_department": department, "month": month}


@dataclass
class World:
    sessions: async_sessionmaker
    clock: FixedClock
    client: httpx.AsyncClient
    tokens: dict[str, str]

    async def call(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.client.request(method, path, headers={"Authorization": f"Bearer {self.tokens[who]}"}, **kwargs)

    async def ok(self, who: str, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = await self.call(who, method, path, **kwargs)
        assert response.status_code in (200, 201), response.text
        return response.json()  # type: ignore[no-any-return]

    async def paged(self, who: str, path: str, size: int, **params: Any) -> list[dict[str, Any]]:
        """Every page of a list (`/api/problems` answers under "problems"), one after another, until no more follow."""
        found: list[dict[str, Any]] = []
        while True:
            page = await self.ok(who, "GET", path, params={"limit": size, "offset": len(found), **params})
            found += page[path.rsplit("/", 1)[1]]
            if not page["more"]:
                return found

    def on(self, day: date) -> None:
        self.clock.set(at(day))

    async def ledger(self, day: date, *changes: ProjectStateChanged) -> None:
        self.on(day)
        await apply_changes(self.sessions, list(changes), POLICY_FOR, day, at(day), problem_policy_for=PROBLEM_POLICY_FOR)

    async def sweep(self, day: date) -> list[Any]:
        self.on(day)
        return await advance_coordination(self.sessions, None, POLICY_FOR, day, at(day), PROBLEM_POLICY_FOR)

    async def rows(self) -> list[dict[str, Any]]:
        async with self.sessions() as session:
            return [dict(r) for r in (await session.execute(select(problems).order_by(problems.c.opened_on))).mappings()]

    async def events(self) -> list[dict[str, Any]]:
        async with self.sessions() as session:
            rows = (await session.execute(select(outbox.c.subject, outbox.c.payload).where(outbox.c.subject.like("%.problem.%")
                                          | outbox.c.subject.like("%.assignment.%") | outbox.c.subject.like("%.meeting.%"))
                                          .order_by(outbox.c.seq))).all()
        return [{**json.loads(bytes(p)), "subject": s} for s, p in rows]


PEOPLE = [("office", COUNTY, "office", None), ("zrzy", COUNTY, "department", "自然资源局"), ("fgj", COUNTY, "department", "发改局"),
          ("chen", COUNTY, "leader", "陈立新"), ("viewer", COUNTY, "readonly", None), ("yiwu", OTHER, "office", None)]


@pytest.fixture
async def world(database: tuple[str, str | None]) -> AsyncIterator[World]:
    await migrate(ROOT / "services" / "escalation" / "migrations", *database)
    engine = make_engine(*database)
    sessions = session_factory(engine)
    tokens = {}
    for login, county, role, department in PEOPLE:
        _, tokens[login] = await add_person(sessions, county, login, f"{login}姓名", role, department)
    clock = FixedClock(at(date(2026, 3, 2)))
    app = FastAPI()
    app.include_router(build_problem_api(sessions, clock, POLICY_FOR, PROBLEM_POLICY_FOR, case_policies(POLICY_DIR)))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://escalation") as client:
        yield World(sessions, clock, client, tokens)
    await engine.dispose()


async def test_a_problem_from_the_ledger_to_an_assignment_closed(world: World) -> None:
    # March's ledger reports a land problem; April's reports it again (same key) and a second one with the same
    # text but no number of the county's (another key): still one problem, reported two months running.
    await world.ledger(date(2026, 3, 2), ledger(COUNTY, 1, 1, [problem("P-7", LAND, "2026-02")]))
    await world.ledger(date(2026, 4, 1), ledger(COUNTY, 1, 2, [problem("P-7", LAND, "2026-03"),
                                                               problem("digest-x", LAND.replace("，", ", "), "2026-03")]))
    await world.ledger(date(2026, 4, 1), ledger(COUNTY, 1, 2, [problem("P-7", LAND, "2026-03")]))  # redelivered: nothing new
    [row] = await world.rows()
    assert (row["months_reported"], row["first_month"], row["last_month"], row["source"]) == (2, "2026-02", "2026-03", "ledger")
    assert (row["level"], row["target_kind"], row["target_name"], row["state"]) == (1, "department", "自然资源局", "raised")
    problem_id = row["problem_id"]

    # The department sees it as its own, accepts it, and cannot solve it: it goes to the leader in charge with the reason.
    assert [p["problem_id"] for p in (await world.ok("zrzy", "GET", "/api/problems", params={"mine": True}))["problems"]] == [problem_id]
    await world.ok("zrzy", "POST", f"/api/problems/{problem_id}/accept", json={})
    moved = (await world.ok("zrzy", "POST", f"/api/problems/{problem_id}/submit", json={"reason": "需区领导协调征收补偿标准"}))["problem"]
    assert (moved["level"], moved["target_kind"], moved["target_name"], moved["state"]) == (2, "leader", "陈立新", "raised")
    # The department can no longer act at the leader's level.
    assert (await world.call("zrzy", "POST", f"/api/problems/{problem_id}/submit", json={"reason": "再次提交"})).status_code == 403

    # The office schedules the joint meeting; the leader puts the problem on its agenda; the draft carries it.
    meeting = (await world.ok("office", "POST", "/api/meetings", json={
        "kind": "joint", "title": "2026年第4次项目推进联席会议", "held_on": "2026-04-10", "chair": "陈立新",
        "attendees": [{"kind": "department", "name": "自然资源局"}, {"kind": "leader", "name": "陈立新"}]}))["meeting"]
    assert meeting["agenda"] == []
    on = (await world.ok("chen", "POST", f"/api/problems/{problem_id}/agenda", json={"meeting_id": meeting["meeting_id"]}))["problem"]
    assert (on["level"], on["meeting_id"], on["due_on"]) == (3, meeting["meeting_id"], None)
    agenda = (await world.ok("office", "GET", f"/api/meetings/{meeting['meeting_id']}"))["meeting"]["agenda"]
    assert [(i["item_kind"], i["item_id"]) for i in agenda] == [("problem", problem_id)]

    # The decision becomes an assignment, numbered per county and year; the problem is now carried by it.
    world.on(date(2026, 4, 10))
    decided = await world.ok("office", "POST", f"/api/meetings/{meeting['meeting_id']}/decisions", json={
        "item_id": problem_id, "decision": "自然资源局牵头，4月30日前完成南区地块征收交付", "handler_department": "自然资源局",
        "co_departments": ["征收办"], "deadline": "2026-04-30", "follow_up_leader": "陈立新"})
    [assignment] = decided["assignments"]
    assert assignment["number"] == "交办〔2026〕1号" and assignment["state"] == "opened"
    assert (await world.rows())[0]["assignment_id"] == assignment["assignment_id"]

    # Minutes: numbered once, a Word document that names the decision and its handler.
    minuted = await world.ok("office", "POST", f"/api/meetings/{meeting['meeting_id']}/minutes")
    assert minuted["meeting"]["minutes_number"] == "纪要〔2026〕1号"
    docx = await world.call("fgj", "GET", f"/api/meetings/{meeting['meeting_id']}/minutes.docx")
    text = "\n".join([p.text for p in Document(io.BytesIO(docx.content)).paragraphs]
                     + [c.text for t in Document(io.BytesIO(docx.content)).tables for r in t.rows for c in r.cells])
    assert "纪要〔2026〕1号" in text and "交办〔2026〕1号" in text and "南区地块征收交付" in text and "征收办" in text

    # Late: nothing reported by 30 April, so it climbs to the follow-up leader with a new deadline.
    await world.ok("zrzy", "POST", f"/api/assignments/{assignment['assignment_id']}/acknowledge", json={})
    assert await world.sweep(date(2026, 4, 30)) == []
    [climb] = await world.sweep(date(2026, 5, 6))
    assert (climb.item_kind, climb.action, climb.level, climb.target_name) == ("assignment", "climbed", 2, "陈立新")
    assert await world.sweep(date(2026, 5, 6)) == []  # a second sweep of the same day changes nothing
    # The handler reports, the office verifies and closes.
    await world.ok("zrzy", "POST", f"/api/assignments/{assignment['assignment_id']}/report",
                   json={"what_done": "南区地块已完成征收并交付", "evidence": "交地确认书"})
    assert (await world.call("zrzy", "POST", f"/api/assignments/{assignment['assignment_id']}/verify",
                             json={"accepted": True})).status_code == 403
    await world.ok("office", "POST", f"/api/assignments/{assignment['assignment_id']}/verify", json={"accepted": True})
    closed = (await world.ok("office", "POST", f"/api/assignments/{assignment['assignment_id']}/close", json={}))["assignment"]
    assert closed["state"] == "closed"
    # Closing the assignment reports the problem solved with what was done; the office closes it (销号).
    solved = (await world.ok("office", "GET", f"/api/problems/{problem_id}"))["problem"]
    assert solved["state"] == "solved" and solved["resolution"] == {"what_done": "南区地块已完成征收并交付", "evidence": "交地确认书"}
    assert (await world.ok("office", "POST", f"/api/problems/{problem_id}/close", json={}))["problem"]["state"] == "closed"

    # Every step was audited and emitted, with the new level's people told.
    events = await world.events()
    steps = [(e["item_kind"], e["action"]) for e in events]
    assert steps[:3] == [("problem", "raised"), ("problem", "still_reported"), ("problem", "accepted")]
    assert ("problem", "submitted") in steps and ("assignment", "climbed") in steps and steps[-1] == ("problem", "closed")
    submitted = next(e for e in events if e["action"] == "submitted")
    assert {"kind": "leader", "name": "陈立新", "role": "action"} in submitted["recipients"]
    assert len({e["event_id"] for e in events}) == len(events)
    history = (await world.ok("office", "GET", f"/api/problems/{problem_id}"))["actions"]
    assert [a["action"] for a in history] == ["raised", "still_reported", "accepted", "submitted", "on_agenda", "decided", "solved", "closed"]
    assert history[3]["note"] == "需区领导协调征收补偿标准" and history[3]["actor_role"] == "department"


async def test_a_missed_deadline_moves_a_problem_up_one_level(world: World) -> None:
    await world.ledger(date(2026, 3, 2), ledger(COUNTY, 2, 1, [problem("P-1", "供电线路迁改未完成", "2026-02", "水电气配套", "供电公司")]))
    [row] = await world.rows()
    assert row["due_on"] == date(2026, 3, 16)  # 10 working days
    assert await world.sweep(date(2026, 3, 16)) == []
    [climb] = await world.sweep(date(2026, 3, 17))
    assert (climb.action, climb.level, climb.target_kind, climb.target_name) == ("climbed", 2, "leader", "陈立新")
    assert {(r.kind, r.name, r.role) for r in climb.recipients} >= {("leader", "陈立新", "action"), ("department", "供电公司", "informed")}


async def test_who_sees_and_who_may_act(world: World) -> None:
    await world.ledger(date(2026, 3, 2), ledger(COUNTY, 3, 1, [problem("P-1", "规划调整未批复", "2026-02", "规划", "自然资源局")]),
                       ledger(OTHER, 4, 1, [problem("P-1", "资金未到位", "2026-02", "资金", "财政局")]))
    mine = {r["county_code"]: r["problem_id"] for r in await world.rows()}
    problem_id = mine[COUNTY]
    assert (await world.call("fgj", "GET", f"/api/problems/{problem_id}")).status_code == 403  # another department's
    assert (await world.ok("fgj", "GET", "/api/problems"))["problems"] == []
    assert (await world.call("yiwu", "GET", f"/api/problems/{problem_id}")).status_code == 404  # another county's: never revealed
    assert (await world.call("office", "GET", f"/api/problems/{mine[OTHER]}")).status_code == 404
    assert (await world.call("viewer", "GET", f"/api/problems/{problem_id}")).status_code == 200
    assert (await world.call("viewer", "POST", f"/api/problems/{problem_id}/accept", json={})).status_code == 403
    assert (await world.call("zrzy", "POST", f"/api/problems/{problem_id}/close", json={})).status_code == 403
    assert (await world.call("zrzy", "POST", "/api/meetings", json={"kind": "joint", "title": "会", "held_on": "2026-04-10",
                                                                    "chair": "陈立新"})).status_code == 403
    # Steps out of order are refused with the state named.
    refused = await world.call("office", "POST", f"/api/problems/{problem_id}/close", json={})
    assert refused.status_code == 409 and "待受理" in refused.json()["detail"]
    # The console raises a problem; the same text still open is not raised twice.
    body = {"project_id": str(pid(COUNTY, 3)), "category": "审批", "description": "施工许可证办理滞后"}
    assert (await world.call("fgj", "POST", "/api/problems", json=body)).status_code == 201
    assert (await world.call("fgj", "POST", "/api/problems", json=body)).status_code == 409
    assert (await world.call("yiwu", "POST", "/api/problems", json=body)).status_code == 404
    assert (await world.call("fgj", "POST", "/api/problems", json={**body, "category": "随便"})).status_code == 422


async def test_the_list_pages_across_chunks_and_keeps_the_open_ones(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Seven problems read two at a time: every page crosses chunks, for the office, a department and its `mine`."""
    monkeypatch.setattr(visible_page, "CHUNK", 2)
    await world.ledger(date(2026, 3, 2), *(ledger(COUNTY, n, 1, [problem("P-1", f"问题{n}", "2026-02", "用地", "自然资源局" if n % 2 else "发改局")])
                                           for n in range(11, 18)))

    async def ids(who: str, **params: Any) -> list[str]:
        return [p["problem_id"] for p in (await world.ok(who, "GET", "/api/problems", params=params))["problems"]]

    async def paged(who: str, size: int, **params: Any) -> list[str]:
        return [p["problem_id"] for p in await world.paged(who, "/api/problems", size, **params)]

    everything = await ids("office")
    own = await ids("zrzy")
    assert len(everything) == 7 and len(own) == 4 and own == [p for p in everything if p in own]
    for size in (1, 3):
        assert await paged("office", size) == everything and await paged("zrzy", size) == own
        assert await paged("zrzy", size, mine=True) == own and await paged("office", size, mine=True) == []
    async with world.sessions() as session, session.begin():
        await session.execute(update(problems).where(problems.c.problem_id.in_(everything[:2])).values(state="solved"))
    assert await ids("office", open=True) == everything[2:] and await ids("office") == everything


async def test_the_assignment_list_pages_across_chunks_and_keeps_the_open_ones(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Seven assignments of one meeting (four handled by 自然资源局, one closed), read two at a time."""
    monkeypatch.setattr(visible_page, "CHUNK", 2)
    async with world.sessions() as session, session.begin():
        await session.execute(insert(assignments), [assignment_row(COUNTY, n, "自然资源局" if n % 2 else "发改局", date(2026, 4, 1 + n),
                                                                   "closed" if n == 3 else "opened") for n in range(1, 8)])

    async def numbers(who: str, size: int, **params: Any) -> list[str]:
        return [a["number"] for a in await world.paged(who, "/api/assignments", size, **params)]

    everything = [f"交办〔2026〕{n}号" for n in range(1, 8)]  # by deadline
    for size in (1, 3, 7):
        assert await numbers("office", size) == everything
        assert await numbers("zrzy", size) == everything[0::2]
        assert await numbers("office", size, open=True) == [n for n in everything if n != "交办〔2026〕3号"]
    assert await numbers("fgj", 2, open=True) == everything[1::2]


async def test_a_level_off_the_problem_ladder_is_refused_not_a_server_error(world: World) -> None:
    """Fuzzing found ?level=2**64 a 500 on SQLite; the problem ladder is 1 (department) to 4 (scheduling meeting)."""
    for level in (-(2**64), 0, 5, 2**64):
        refused = await world.call("office", "GET", "/api/problems", params={"level": level})
        assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["query", "level"], (level, refused.text)
    assert (await world.ok("office", "GET", "/api/problems", params={"level": 4}))["problems"] == []


async def test_the_agenda_is_drafted_from_the_lists(world: World) -> None:
    """Problems submitted to the meeting's level are drafted in; the office removes one, and it is back on its clock."""
    await world.ledger(date(2026, 3, 2), ledger(COUNTY, 5, 1, [problem("A", "用地指标不足", "2026-02"), problem("B", "环评未批", "2026-02", "审批")]))
    ids = {r["description"]: r["problem_id"] for r in await world.rows()}
    # Both climb to L3 through missed deadlines (10 working days at each level).
    await world.sweep(date(2026, 3, 17))
    await world.sweep(date(2026, 4, 1))
    assert {r["level"] for r in await world.rows()} == {3}
    meeting = (await world.ok("office", "POST", "/api/meetings", json={
        "kind": "joint", "title": "联席会议", "held_on": "2026-04-10", "chair": "陈立新"}))["meeting"]
    assert {i["item_id"] for i in meeting["agenda"]} == set(ids.values())
    edited = (await world.ok("office", "POST", f"/api/meetings/{meeting['meeting_id']}/agenda",
                             json={"order": [ids["环评未批"]]}))["meeting"]
    assert [i["item_id"] for i in edited["agenda"]] == [ids["环评未批"]]
