"""A year of a county's problem list, end to end, on the real processes (intake, tracker, escalation, notifier, NATS).

The county's ledgers report their 存在问题 and 下月计划 each month through intake, as in the county-year test, and
escalation restarts with its fixed clock at each step (the restart sweeps). People act under their own tokens:
the land bureau accepts a problem and submits it upward, the leader in charge puts it on the joint meeting's
agenda, the office records the decision, which becomes an assignment that is late, climbs and is then closed.
Another problem nobody answers climbs level by level. A missed 下月计划 becomes a finding, red when missed twice.
"""
from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from docx import Document
from sqlalchemy import select

from services.escalation.cases.people import add_person
from services.escalation.tables import escalation_history, escalations, problems
from services.intake.tokens import issue_token
from services.launcher import ServiceProcesses as Pipeline
from services.notifier.tables import deliveries
from shared.db import make_engine, session_factory
from tests.e2e.test_county_year import drained, month_end, restart_escalation_at
from tests.intake.feeds.county_tables import problems_xlsx

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
COUNTY, YEAR = "330106", 2026
LAND = "南区地块尚未完成征收交付，影响开工"
POWER = "供电线路迁改未完成"
WAN = 10_000_00  # fen in one 万元
# 城东物流园's 下月计划投资 by month (promised in the month before) and what it did: April and May miss, June keeps it.
PLANNED = {3: 500, 4: 500, 5: 300}
DONE = {3: 400, 4: 200, 5: 100, 6: 400, 7: 300}


def code(n: int) -> str:
    return f"2601-{COUNTY}-04-01-{n:06d}"


def ledger(month: int) -> list[dict[str, Any]]:
    """What the county reports at the end of `month`: the land problem Feb–Mar (January's comes in the problem list
    upload), the power problem every month."""
    end = month_end(YEAR, month)
    base = {"stage": "started", "leader": "陈立新", "lead_department": "区发改局", "source_system": "区发改局月度推进表",
            "source_record_time": f"{end.isoformat()}T12:00:00+08:00"}
    month_key = f"{YEAR}-{month:02d}"
    land = [{"key": "XH-Q-01", "description": LAND, "category": "用地", "responsible_department": "区自然资源局", "month": month_key}]
    power = [{"key": "XH-Q-02", "description": POWER, "category": "水电气配套", "responsible_department": "区供电公司", "month": month_key}]
    first = {**base, "project_code": code(1), "name": "红星文旅综合体", "source_record_id": f"{code(1)}-{month:02d}",
             "ledger": [{"month": month_key, "progress": "场地平整", **({"problems": LAND} if month <= 3 else {})}],
             **({"reported_problems": land} if 1 < month <= 3 else {})}
    entry: dict[str, Any] = {"month": month_key, "investment_fen": DONE.get(month, 300) * WAN, "problems": POWER, "progress": "主体施工"}
    if month in PLANNED:
        entry |= {"next_month_plan": "完成主体结构", "next_month_plan_fen": PLANNED[month] * WAN}
    second = {**base, "project_code": code(2), "name": "城东物流园", "source_record_id": f"{code(2)}-{month:02d}", "ledger": [entry],
              "reported_problems": power}
    return [first, second]


STEPS = sorted([date(YEAR, m, d) for m in range(2, 9) for d in (1, 16)] + [date(YEAR, 2, 10)])


@pytest.fixture
def pipeline(nats_server, tmp_path: Path) -> Iterator[Pipeline]:
    running = Pipeline(nats_server.url, tmp_path, extra_env={
        "ESCALATION_CLOCK": "fixed:2026-01-31T09:00:00+08:00", "ESCALATION_SWEEP_INTERVAL_SECONDS": "3600"})
    running.start_all()
    yield running
    running.stop_all()


async def people(pipeline: Pipeline) -> tuple[str, dict[str, str]]:
    intake_engine, escalation_engine = make_engine(*pipeline.database["intake"]), make_engine(*pipeline.database["escalation"])
    try:
        county = await issue_token(session_factory(intake_engine), COUNTY, "problems")
        sessions = session_factory(escalation_engine)
        return county, {
            "office": (await add_person(sessions, COUNTY, "xh-office", "周敏", "office"))[1],
            "land": (await add_person(sessions, COUNTY, "xh-zrzy", "李军", "department", "区自然资源局"))[1],
            "leader": (await add_person(sessions, COUNTY, "xh-chen", "陈立新", "leader", "陈立新"))[1],
            "viewer": (await add_person(sessions, COUNTY, "xh-view", "王芳", "readonly"))[1],
        }
    finally:
        await intake_engine.dispose()
        await escalation_engine.dispose()


async def upload_problem_list(intake: httpx.AsyncClient) -> None:
    data = problems_xlsx([(code(1), "红星文旅综合体", [["XH-Q-01", "用地", LAND, "区自然资源局", "2026-01-20", None, None]])],
                         date_line="填报日期：2026年1月31日")
    response = await intake.post(f"/v1/counties/{COUNTY}/uploads", files={"file": ("1月问题清单.xlsx", data)},
                                 data={"profile": "project_problems"})
    assert response.status_code == 202, response.text
    for _ in range(300):
        job = (await intake.get(f"/v1/counties/{COUNTY}/uploads/{response.json()['job_id']}")).json()
        if job["status"] in ("done", "failed"):
            assert (job["status"], job["rows_accepted"], job["rows_rejected"]) == ("done", 1, 0), job
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"the problem list was not processed: {job}")


class Person:
    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    async def get(self, path: str, **params: Any) -> dict[str, Any]:
        response = await self.client.get(path, params=params, headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    async def post(self, path: str, body: dict[str, Any] | None = None, expect: int = 200) -> dict[str, Any]:
        response = await self.client.post(path, json=body or {}, headers=self.headers)
        assert response.status_code == expect, f"{path}: {response.status_code} {response.text}"
        return response.json()  # type: ignore[no-any-return]


async def reported(person: Person, description: str, months: int) -> dict[str, Any]:
    """The problem once the month's ledger has reached it: drained() can look done in the moment between tracker's
    commit and its outbox's publication, so wait on what a person would see."""
    for _ in range(300):
        found = next((p for p in (await person.get("/api/problems"))["problems"] if p["description"] == description), None)
        if found and found["months_reported"] >= months:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"{description}: not reported {months} months: {found}")


async def act(step: date, office: Person, land: Person, leader: Person, viewer: Person, state: dict[str, Any]) -> None:
    """What people do on each step of the year."""
    if step.day == 1 and step.month <= 4:  # the land problem is in the ledgers of January to March
        await reported(office, LAND, step.month - 1)
    if step == date(YEAR, 2, 1):  # raised by January's ledger: the land bureau accepts it, and cannot solve it alone
        land_problem = next((p for p in (await land.get("/api/problems", mine="true"))["problems"] if p["description"] == LAND), None)
        assert land_problem and land_problem["level"] == 1 and land_problem["state"] == "raised"
        state["land"] = land_problem["problem_id"]
        await land.post(f"/api/problems/{state['land']}/accept", {"note": "已受理"})
        await viewer.post(f"/api/problems/{state['land']}/submit", {"reason": "只读用户"}, expect=403)
        moved = (await land.post(f"/api/problems/{state['land']}/submit", {"reason": "需区领导协调征收补偿标准"}))["problem"]
        assert (moved["level"], moved["target_name"]) == (2, "陈立新")
    elif step == date(YEAR, 2, 10):  # the office schedules the joint meeting; the leader puts the problem on its agenda
        meeting = (await office.post("/api/meetings", {
            "kind": "joint", "title": "2026年第2次项目推进联席会议", "held_on": "2026-02-27", "chair": "陈立新",
            "attendees": [{"kind": "department", "name": "区自然资源局"}, {"kind": "leader", "name": "陈立新"}]}, expect=201))["meeting"]
        state["meeting"] = meeting["meeting_id"]
        await land.post(f"/api/problems/{state['land']}/agenda", {"meeting_id": state["meeting"]}, expect=403)
        await leader.post(f"/api/problems/{state['land']}/agenda", {"meeting_id": state["meeting"]})
        agenda = (await office.get(f"/api/meetings/{state['meeting']}"))["meeting"]["agenda"]
        assert [i["item_id"] for i in agenda] == [state["land"]]
    elif step == date(YEAR, 3, 1):  # the meeting decided: an assignment, and the minutes
        view = await office.post(f"/api/meetings/{state['meeting']}/decisions", {
            "item_id": state["land"], "decision": "区自然资源局牵头，3月20日前完成南区地块征收交付", "handler_department": "区自然资源局",
            "co_departments": ["区住建局"], "deadline": "2026-03-20", "follow_up_leader": "陈立新"}, expect=201)
        [assignment] = view["assignments"]
        state["assignment"] = assignment["assignment_id"]
        assert assignment["number"] == "交办〔2026〕1号"
        minuted = await office.post(f"/api/meetings/{state['meeting']}/minutes", expect=201)
        assert minuted["meeting"]["minutes_number"] == "纪要〔2026〕1号"
        docx = await office.client.get(f"/api/meetings/{state['meeting']}/minutes.docx", headers=office.headers)
        document = Document(io.BytesIO(docx.content))
        text = "\n".join([p.text for p in document.paragraphs] + [c.text for t in document.tables for r in t.rows for c in r.cells])
        assert all(s in text for s in ("纪要〔2026〕1号", "交办〔2026〕1号", "区自然资源局", "区住建局", "2026-03-20", "南区地块")), text
    elif step == date(YEAR, 3, 16):
        await land.post(f"/api/assignments/{state['assignment']}/acknowledge", {"note": "已签收"})
    elif step == date(YEAR, 4, 1):  # late since 03-20, it climbed to the leader this morning; now it is done and closed
        await land.post(f"/api/assignments/{state['assignment']}/report", {"what_done": "南区地块已完成征收并交付", "evidence": "交地确认书"})
        await office.post(f"/api/assignments/{state['assignment']}/verify", {"accepted": True})
        await office.post(f"/api/assignments/{state['assignment']}/close")
        await office.post(f"/api/problems/{state['land']}/close", {"note": "销号"})


async def test_a_year_of_the_problem_list(pipeline: Pipeline, nats_server) -> None:
    county_token, tokens = await people(pipeline)
    state: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=pipeline.url("intake"), headers={"Authorization": f"Bearer {county_token}"}, timeout=60) as intake, \
            httpx.AsyncClient(base_url=pipeline.url("escalation"), timeout=30) as client:
        office, land, leader, viewer = (Person(client, tokens[k]) for k in ("office", "land", "leader", "viewer"))
        for step in STEPS:
            await restart_escalation_at(pipeline, step)
            if step.day == 1:
                items = ledger(step.month - 1)
                response = await intake.post(f"/v1/counties/{COUNTY}/updates", json=items)
                assert response.status_code == 202 and response.json()["accepted"] == len(items), response.text
                if step == date(YEAR, 2, 1):  # January's land problem arrives in the office's 项目问题清单 spreadsheet
                    await upload_problem_list(intake)
                await drained(nats_server.url)
            await act(step, office, land, leader, viewer, state)
        await drained(nats_server.url)

        # One land problem, reported three months running, worked to closure; its history tells the story.
        found = (await office.get("/api/problems"))["problems"]
        assert sorted(p["description"] for p in found) == sorted([LAND, POWER])
        detail = await office.get(f"/api/problems/{state['land']}")
        assert (detail["problem"]["months_reported"], detail["problem"]["state"]) == (3, "closed")
        steps = [a["action"] for a in detail["actions"]]
        assert steps == ["raised", "accepted", "submitted", "on_agenda", "still_reported", "decided", "still_reported", "solved", "closed"]
        submitted = detail["actions"][2]
        assert (submitted["actor_name"], submitted["actor_role"], submitted["note"]) == ("李军", "department", "需区领导协调征收补偿标准")
        # The assignment was late (nothing reported by 03-20), climbed to the leader on the 1 April sweep, then closed.
        assignment = await office.get(f"/api/assignments/{state['assignment']}")
        assert [a["action"] for a in assignment["actions"]] == ["opened", "acknowledged", "climbed", "reported", "verified", "closed"]
        assert assignment["actions"][2]["as_of"] == "2026-04-01" and assignment["actions"][2]["level"] == 2

        # Nobody answers the power problem: it climbs one level at a time, to the scheduling meeting, reported every month.
        power = await reported(office, POWER, 7)
        history = (await office.get(f"/api/problems/{power['problem_id']}"))["actions"]
        climbs = [a["level"] for a in history if a["action"] == "climbed"]
        assert climbs == [2, 3, 4] and power["level"] == 4 and power["months_reported"] == 7

    await check_plan_missed(pipeline)
    await check_deliveries(pipeline, state)


async def check_plan_missed(pipeline: Pipeline) -> None:
    """April missed March's plan (yellow, judged with April's ledger on 1 May); May missed again (red); June kept it."""
    engine = make_engine(*pipeline.database["escalation"])
    try:
        async with session_factory(engine)() as session:
            [row] = (await session.execute(select(escalations).where(escalations.c.rule_id == "R5.plan_missed"))).mappings().all()
            history = (await session.execute(select(escalation_history.c.kind, escalation_history.c.level, escalation_history.c.as_of)
                                             .where(escalation_history.c.escalation_id == row["escalation_id"])
                                             .order_by(escalation_history.c.id))).all()
            assert len((await session.execute(select(problems))).all()) == 2
    finally:
        await engine.dispose()
    assert [(k, lvl, d) for k, lvl, d in history] == [("raised", 1, date(2026, 5, 1)), ("escalated", 2, date(2026, 6, 1)),
                                                       ("resolved", 2, date(2026, 7, 1))]
    assert row["status"] == "cleared" and "下月计划" in row["summary"]


async def check_deliveries(pipeline: Pipeline, state: dict[str, Any]) -> None:
    """Every step with people to tell reached them, once."""
    engine = make_engine(*pipeline.database["notifier"])
    try:
        for _ in range(300):
            async with session_factory(engine)() as session:
                rows = (await session.execute(select(deliveries.c.escalation_id, deliveries.c.status, deliveries.c.person))).all()
            if rows and all(status != "pending" for _, status, _ in rows):
                break
            await asyncio.sleep(0.2)
    finally:
        await engine.dispose()
    about = {escalation_id for escalation_id, _, _ in rows}
    assert {state["land"], state["assignment"], state["meeting"]} <= about
    assert {status for _, status, _ in rows} == {"sent"}
