"""June's bulletin on a real database (SQLite and PostgreSQL) after a quarter of the problem list worked through the
API: problems from the ledgers, one solved and closed, two decided by a joint meeting, one assignment closed on time
and one not; the bulletin's new sections carry them in HTML, DOCX and XLSX, in words."""
from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import httpx
import pytest
from docx import Document
from fastapi import FastAPI
from openpyxl import load_workbook

from services.escalation.bulletin.service import generate_bulletin
from services.escalation.cases.people import add_person
from services.escalation.cases.policy import case_policies
from services.escalation.problems.api import build_problem_api
from shared.clock import FixedClock
from shared.db import make_engine, migrate, session_factory
from tests.service.problems.test_problem_list import (
    COUNTY,
    LAND,
    OTHER,
    PEOPLE,
    POLICY_DIR,
    POLICY_FOR,
    PROBLEM_POLICY_FOR,
    ROOT,
    World,
    at,
    ledger,
    problem,
)
from tests.support.visible import raw_identifiers, visible_text

FUNDS, PLANNING, POWER = "省级专项资金尚未到位", "控制性详细规划调整未批复", "施工用电未接入"


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


async def a_quarter_of_the_problem_list(world: World) -> dict[str, str]:
    """The land problem is reported from March on and never solved; June brings three more."""
    await world.ledger(date(2026, 3, 2), ledger(COUNTY, 1, 1, [problem("P-7", LAND, "2026-02")]),
                       ledger(OTHER, 9, 1, [problem("Y-1", "另一县的问题", "2026-02")]))
    await world.sweep(date(2026, 3, 17))  # each missed deadline moves it up: the leader, the joint meeting, the scheduling meeting
    for version, (day, month) in enumerate(((date(2026, 4, 1), "2026-03"), (date(2026, 5, 6), "2026-04"), (date(2026, 6, 3), "2026-05")), 2):
        await world.ledger(day, ledger(COUNTY, 1, version, [problem("P-7", LAND, month)]))
        await world.sweep(day)
    await world.ledger(date(2026, 6, 3), ledger(COUNTY, 2, 1, [problem("F-1", FUNDS, "2026-05", "资金", "财政局")]),
                       ledger(COUNTY, 3, 1, [problem("G-1", PLANNING, "2026-05", "规划", "自然资源局"),
                                             problem("E-1", POWER, "2026-05", "水电气配套", "供电公司")]))
    ids = {r["description"]: r["problem_id"] for r in await world.rows()}

    # The funds problem is solved on the 10th and closed (销号) on the 12th: solved once, in June.
    world.on(date(2026, 6, 10))
    await world.ok("office", "POST", f"/api/problems/{ids[FUNDS]}/accept", json={})
    await world.ok("office", "POST", f"/api/problems/{ids[FUNDS]}/solve", json={"what_done": "资金已拨付", "evidence": "拨款凭证"})
    world.on(date(2026, 6, 12))
    await world.ok("office", "POST", f"/api/problems/{ids[FUNDS]}/close", json={})

    # The joint meeting of 5 June decides the planning and the power problems.
    world.on(date(2026, 6, 4))
    meeting = (await world.ok("office", "POST", "/api/meetings", json={
        "kind": "joint", "title": "2026年第6次项目推进联席会议", "held_on": "2026-06-05", "chair": "陈立新"}))["meeting"]
    for description in (PLANNING, POWER):
        await world.ok("office", "POST", f"/api/problems/{ids[description]}/agenda", json={"meeting_id": meeting["meeting_id"]})
    world.on(date(2026, 6, 5))
    numbers = {}
    for description, handler, deadline in ((PLANNING, "自然资源局", "2026-06-20"), (POWER, "供电公司", "2026-06-25")):
        decided = await world.ok("office", "POST", f"/api/meetings/{meeting['meeting_id']}/decisions", json={
            "item_id": ids[description], "decision": f"{handler}牵头解决：{description}", "handler_department": handler,
            "co_departments": [], "deadline": deadline, "follow_up_leader": "陈立新"})
        numbers[description] = decided["assignments"][0]["assignment_id"]

    # Planning: reported, verified and closed on the 18th, before its deadline; closing it reports the problem solved.
    world.on(date(2026, 6, 18))
    planning = numbers[PLANNING]
    await world.ok("zrzy", "POST", f"/api/assignments/{planning}/acknowledge", json={})
    await world.ok("zrzy", "POST", f"/api/assignments/{planning}/report", json={"what_done": "规划调整已批复", "evidence": "批复文件"})
    await world.ok("office", "POST", f"/api/assignments/{planning}/verify", json={"accepted": True})
    await world.ok("office", "POST", f"/api/assignments/{planning}/close", json={})
    assert (await world.ok("office", "GET", f"/api/problems/{ids[PLANNING]}"))["problem"]["state"] == "solved"
    # Power: nothing reported by the 25th; the clock moves the assignment up on the 26th.
    await world.sweep(date(2026, 6, 26))
    return ids


async def test_junes_bulletin_reports_the_problem_list(world: World) -> None:
    ids = await a_quarter_of_the_problem_list(world)
    rows = {r["problem_id"]: r for r in await world.rows()}
    land = rows[ids[LAND]]
    assert land["state"] in ("raised", "accepted", "solving") and land["level"] == 4 and land["due_on"] < date(2026, 6, 30) and land["months_reported"] == 4

    row = await generate_bulletin(world.sessions, COUNTY, "2026-06", date(2026, 6, 30), at(date(2026, 7, 6)), POLICY_FOR(COUNTY),
                                  problem_policy=PROBLEM_POLICY_FOR(COUNTY))
    assert row is not None
    figures: dict[str, Any] = row["figures"]
    total = figures["problems"]["total"]
    # raised in June: funds, planning, power; solved: funds (closed too, once) and planning; overdue: land (past its
    # deadline at the top level) and power (past the meeting's deadline); the other county's problem counts nowhere.
    assert (total["raised"], total["solved"], total["overdue"]) == (3, 2, 2)
    by_department = {t["key"]: (t["raised"], t["solved"], t["overdue"]) for t in figures["problems"]["by_department"]}
    assert by_department == {"自然资源局": (1, 1, 1), "财政局": (1, 1, 0), "供电公司": (1, 0, 1)}
    delivery = figures["assignment_delivery"]
    assert (delivery["total"]["due"], delivery["total"]["on_time"], delivery["total"]["percent"]) == (2, 1, "50.0")
    assert [(d["department"], d["percent"]) for d in delivery["by_department"]] == [("供电公司", "0.0"), ("自然资源局", "100.0")]
    [long] = figures["long_open"]["problems"]
    assert (long["project_name"], long["category"], long["description"], long["months_open"], long["months_reported"]) == (
        "问题测试项目1", "用地", LAND, 3, 4)
    assert figures["headline"]["assignments_on_time_percent"] == "50.0"

    html = visible_text(row["html"])
    for text in ("问题清单办理情况", "会议交办事项落实率（承办部门）", "超过3个月未解决的问题", LAND, "问题测试项目1", "供电公司"):
        assert text in html
    assert not raw_identifiers(html)
    document = Document(io.BytesIO(row["docx"]))
    words = "\n".join([p.text for p in document.paragraphs] + [c.text for t in document.tables for r in t.rows for c in r.cells])
    for text in ("问题清单办理情况", "交办事项落实率 = ", "超过3个月未解决的问题", LAND, "50.0"):
        assert text in words
    assert not raw_identifiers(words)
    book = load_workbook(io.BytesIO(row["xlsx"]))
    sheet = book[next(name for name in book.sheetnames if "会议交办事项落实率" in name)]
    assert list(sheet.iter_rows(min_row=3, max_row=3, values_only=True))[0] == ("合计", 2, 1, 0, 1, 50)
