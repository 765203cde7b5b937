"""The console's 问题清单, problem, meeting and 交办事项 pages over escalation's real API (its case API for signing in, its
problem API for the rest, on a database of its own, through ASGI): what each person sees, the steps they may take and
only those, a problem worked from a department to a meeting's decision and an assignment closed, and the words shown."""
from __future__ import annotations

import io
import itertools
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from docx import Document
from fastapi import FastAPI
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.console import escalation_api
from services.console.app import add_pages
from services.console.coordination import may_act_on_assignment, may_act_on_problem, problem_offered
from services.console.escalation_api import EscalationApi
from services.console.projection.projects import apply_project_changes
from services.console.settings import Settings
from services.console.viewer import Viewer
from services.console.web import Console, templates
from services.escalation.cases.api import build_case_api
from services.escalation.cases.people import Person, add_person
from services.escalation.cases.policy import case_policies
from services.escalation.problems import access
from services.escalation.problems.api import build_problem_api
from services.escalation.problems.assignments import STATE_NAMES as ASSIGNMENT_STATE_NAMES
from services.escalation.problems.lifecycle import LEVEL_NAMES, STATE_NAMES
from services.escalation.service import apply_changes
from services.escalation.tables import assignments, problems
from shared.clock import FixedClock
from shared.db import make_engine, migrate, session_factory
from tests.console.conftest import MIGRATIONS, sign_in
from tests.console.test_words import check
from tests.service.problems.test_problem_list import COUNTY, LAND, OTHER, POLICY_DIR, POLICY_FOR, PROBLEM_POLICY_FOR, at, ledger, problem
from tests.support.assignment_rows import assignment_row

ROOT = Path(__file__).resolve().parents[2]
PEOPLE = [("office", COUNTY, "office", None), ("zrzy", COUNTY, "department", "自然资源局"), ("fgj", COUNTY, "department", "发改局"),
          ("chen", COUNTY, "leader", "陈立新"), ("guest", COUNTY, "readonly", None), ("yiwu", OTHER, "office", None)]
POWER = "供电线路迁改未完成，影响试生产"
PLANNING = "规划条件调整尚未批复"
FENCE = "施工围挡影响城西路通行"


@dataclass
class Coordination:
    """The console's pages in front of escalation's real API, both on the same fixed clock."""

    escalation: async_sessionmaker
    console: async_sessionmaker
    app: FastAPI
    clock: FixedClock
    passwords: dict[str, str]

    async def signed_in(self, login: str) -> httpx.AsyncClient:
        return await sign_in(self.app, login, self.passwords[login], page="/problems")

    async def ledger(self, day: date, *changes: Any) -> None:
        """A ledger upload as tracker publishes it: escalation raises the problems, the console reads the project."""
        self.clock.set(at(day))
        await apply_changes(self.escalation, list(changes), POLICY_FOR, day, at(day), problem_policy_for=PROBLEM_POLICY_FOR)
        await apply_project_changes(self.console, list(changes), at(day))

    async def problem_ids(self) -> dict[str, str]:
        async with self.escalation() as session:
            return {d: p for p, d in (await session.execute(select(problems.c.problem_id, problems.c.description))).all()}


@pytest.fixture
async def world(database: tuple[str, str | None], tmp_path: Path) -> AsyncIterator[Coordination]:
    escalation_url = f"sqlite+aiosqlite:///{tmp_path / 'escalation.db'}"
    await migrate(ROOT / "services" / "escalation" / "migrations", escalation_url, None)
    await migrate(MIGRATIONS, *database)
    escalation_engine, console_engine = make_engine(escalation_url, None), make_engine(*database)
    escalation = session_factory(escalation_engine)
    passwords = {}
    for login, county, role, department in PEOPLE:
        _, passwords[login] = await add_person(escalation, county, login, f"{login}同志", role, department)
    clock = FixedClock(at(date(2026, 3, 2)))
    api = FastAPI()
    api.include_router(build_case_api(escalation, clock, POLICY_FOR, case_policies(POLICY_DIR)))
    api.include_router(build_problem_api(escalation, clock, POLICY_FOR, PROBLEM_POLICY_FOR, case_policies(POLICY_DIR)))
    client = EscalationApi("http://escalation", transport=httpx.ASGITransport(app=api))
    console = Console(session_factory(console_engine), client, clock, Settings(_env_file=None), templates())  # type: ignore[call-arg]
    yield Coordination(escalation, console.sessions, add_pages(FastAPI(), console), clock, passwords)
    await client.close()
    await escalation_engine.dispose()
    await console_engine.dispose()


async def seeded(world: Coordination) -> dict[str, str]:
    """Four problems of two projects: land (自然资源局, reported in March and again in April), power (供电公司) and planning
    (发改局) from March, and the site fence (住建局) first reported in April."""
    await world.ledger(date(2026, 3, 2), ledger(COUNTY, 1, 1, [problem("P-7", LAND, "2026-02")]),
                       ledger(COUNTY, 2, 1, [problem("P-1", POWER, "2026-02", "水电气配套", "供电公司"),
                                             problem("P-2", PLANNING, "2026-02", "规划", "发改局")]))
    await world.ledger(date(2026, 4, 1), ledger(COUNTY, 1, 2, [problem("P-7", LAND, "2026-03"),
                                                               problem("P-8", FENCE, "2026-03", "施工环境", "住建局")]))
    return await world.problem_ids()


def rows_of(page: str) -> list[str]:
    return re.findall(r'id="problem-row-([0-9a-f-]+)"', page)


def forms_of(page: str) -> set[str]:
    return set(re.findall(r'class="act act-([a-z-]+)"', page))


async def test_the_office_lists_every_problem_with_counts_filters_and_what_each_row_says(world: Coordination) -> None:
    ids = await seeded(world)
    world.clock.set(at(date(2026, 4, 2)))
    office = await world.signed_in("office")
    page = (await office.get("/problems")).text
    assert set(rows_of(page)) == set(ids.values())
    land = page[page.index(f'id="problem-row-{ids[LAND]}"'):]
    land = land[:land.index("</article>")]
    # Project, category, the description as written, level, who must act, the deadline (Beijing date), months running.
    for shown in ("问题测试项目1", "用地", LAND, "责任部门解决", "自然资源局", "2026-03-16", "连续2个月报告"):
        assert shown in land, shown
    # The March problems are past their 10 working days on 2 April (a month reported again keeps its deadline): overdue,
    # listed first under 已逾期; April's is not.
    assert 'id="section-overdue"' in page and "已逾期 3" in page
    assert page.index(f'id="problem-row-{ids[FENCE]}"') > page.index('id="section-problems-other"') > page.index(f'id="problem-row-{ids[LAND]}"')
    counts = page[page.index('id="count-category"'):page.index('id="problem-list"')]
    assert "水电气配套 <b>1</b>" in counts and "规划 <b>1</b>" in counts and "责任部门解决 <b>4</b>" in counts
    assert rows_of((await office.get("/problems", params={"category": "规划"})).text) == [ids[PLANNING]]
    assert rows_of((await office.get("/problems", params={"level": "2"})).text) == []
    assert set(rows_of((await office.get("/problems", params={"age": "30"})).text)) == {ids[LAND], ids[POWER], ids[PLANNING]}
    assert rows_of((await office.get("/problems", params={"state": "closed"})).text) == []
    # The overview's must-act list carries the overdue problems.
    overview = (await office.get("/")).text
    late = overview[overview.index('id="must-act-coordination"'):]
    assert POWER in late and PLANNING in late and "供电公司" in late


async def test_a_list_past_escalations_largest_page_says_so(world: Coordination, monkeypatch: pytest.MonkeyPatch) -> None:
    await seeded(world)
    world.clock.set(at(date(2026, 4, 2)))
    office = await world.signed_in("office")
    assert 'id="list-cut"' not in (await office.get("/problems")).text
    async with world.escalation() as session, session.begin():  # three assignments, late since March
        await session.execute(insert(assignments), [assignment_row(COUNTY, n, "自然资源局", date(2026, 3, 20 + n)) for n in (1, 2, 3)])
    assert 'id="list-cut"' not in (await office.get("/assignments")).text
    monkeypatch.setattr(escalation_api, "LIST_MOST", 2)  # four open problems and three assignments, all but one late: cut
    page = (await office.get("/problems")).text
    assert len(rows_of(page)) == 2 and "只列出期限最近的2条" in page
    late = (await office.get("/assignments")).text
    assert late.count('class="assignment-row') == 2 and "只列出期限最近的2条" in late
    assert "<b>4+</b>" in (await office.get("/")).text.split('id="must-act-coordination"')[1]


async def test_a_department_sees_its_own_first_and_acts_on_its_own_only(world: Coordination) -> None:
    ids = await seeded(world)
    land, planning_department = await world.signed_in("zrzy"), await world.signed_in("fgj")
    assert rows_of((await land.get("/problems")).text) == [ids[LAND]]
    assert rows_of((await planning_department.get("/problems")).text) == [ids[PLANNING]]
    assert ids[LAND] not in (await planning_department.get("/problems?all=1")).text
    assert (await planning_department.get(f"/problems/{ids[LAND]}")).status_code == 403
    refused = await planning_department.post(f"/problems/{ids[LAND]}/accept", data={"note": "越权"}, headers={"HX-Request": "true"})
    assert refused.status_code == 403  # escalation does not even show it to another department
    page = (await land.get(f"/problems/{ids[LAND]}")).text
    assert forms_of(page) == {"accept", "start", "solve", "submit"}  # no 交回 at the lowest level, no 销号, no agenda for a department
    accepted = await land.post(f"/problems/{ids[LAND]}/accept", data={"note": "已安排专人"}, headers={"HX-Request": "true"})
    assert "已办理" in accepted.text and "已受理" in accepted.text and "已安排专人" in accepted.text
    moved = await land.post(f"/problems/{ids[LAND]}/submit", data={"reason": "需区领导协调征收补偿标准"}, headers={"HX-Request": "true"})
    assert "分包领导协调" in moved.text and "陈立新" in moved.text and forms_of(moved.text) == set()
    history = moved.text[moved.text.index('id="problem-history"'):]
    for shown in ("zrzy同志", "（部门）", "提交上一级", "需区领导协调征收补偿标准", "业务日 2026-04-01", "台账再次报告"):
        assert shown in history, shown


async def test_readonly_sees_but_cannot_act(world: Coordination) -> None:
    ids = await seeded(world)
    guest = await world.signed_in("guest")
    page = (await guest.get(f"/problems/{ids[LAND]}")).text
    assert LAND in page and forms_of(page) == set() and 'method="post" action="/problems"' not in (await guest.get("/problems")).text
    refused = await guest.post(f"/problems/{ids[LAND]}/accept", data={"note": "x"}, headers={"HX-Request": "true"})
    assert "您无权办理此事项" in refused.text and "待受理" in refused.text
    assert 'method="post" action="/meetings"' not in (await guest.get("/meetings")).text
    assert (await guest.post("/meetings", data={"kind": "joint", "title": "会", "held_on": "2026-04-10", "chair": "陈立新"})).status_code == 403


async def test_a_problem_from_a_department_to_a_decision_an_assignment_and_the_minutes(world: Coordination) -> None:
    ids = await seeded(world)
    office, land, leader = await world.signed_in("office"), await world.signed_in("zrzy"), await world.signed_in("chen")
    await land.post(f"/problems/{ids[LAND]}/submit", data={"reason": "需区领导协调"})
    # The office schedules the joint meeting with its attendees.
    scheduled = await office.post("/meetings", data={"kind": "joint", "title": "2026年第4次项目推进联席会议", "held_on": "2026-04-10",
                                                     "chair": "陈立新", "departments": "自然资源局、住建局", "leaders": "陈立新"})
    assert scheduled.status_code == 303
    meeting_path = scheduled.headers["location"]
    listing = (await office.get("/meetings")).text
    assert "2026年第4次项目推进联席会议" in listing and "项目推进联席会议" in listing and "已安排" in listing
    # The leader sees it as his, and puts it on the meeting's agenda (choosing among the scheduled meetings).
    assert ids[LAND] in rows_of((await leader.get("/problems")).text)
    page = (await leader.get(f"/problems/{ids[LAND]}")).text
    assert {"agenda", "hand-back", "submit", "accept"} <= forms_of(page) and "close" not in forms_of(page)
    assert "2026年第4次项目推进联席会议" in page
    meeting_id = meeting_path.rsplit("/", 1)[-1]
    put = await leader.post(f"/problems/{ids[LAND]}/agenda", data={"meeting_id": meeting_id}, headers={"HX-Request": "true"})
    assert "联席会议研究" in put.text and "列入会议议题" in put.text
    # The meeting's page: the agenda, reorderable by the office; a department reads it without a single form.
    await office.post(f"/problems/{ids[POWER]}/submit", data={"reason": "需协调供电公司"})
    await office.post(f"/problems/{ids[POWER]}/submit", data={"reason": "需联席会议研究"})
    await office.post(f"{meeting_path}/agenda", data={"item_id": ids[POWER], "op": "up"})  # not on this agenda: nothing moves
    meeting = (await office.get(meeting_path)).text
    assert "自然资源局、住建局、陈立新" in meeting and LAND[:10] in meeting and "记录决定" in meeting
    assert not forms_of((await land.get(meeting_path)).text) and "记录决定" not in (await land.get(meeting_path)).text
    # The office records the decision: an assignment to 自然资源局, numbered; then issues the minutes.
    decided = await office.post(f"{meeting_path}/decisions", headers={"HX-Request": "true"}, data={
        "item_id": ids[LAND], "decision": "自然资源局牵头，4月30日前完成南区地块征收交付", "handler_department": "自然资源局",
        "co_departments": "征收办，财政局", "deadline": "2026-04-30", "follow_up_leader": "陈立新"})
    assert "交办〔2026〕1号" in decided.text and "已召开" in decided.text and "印发纪要" in decided.text
    minuted = await office.post(f"{meeting_path}/minutes", headers={"HX-Request": "true"})
    assert "纪要〔2026〕1号" in minuted.text and "印发纪要" not in minuted.text
    # The minutes come through the console under the department's own token, as Word and as a web page.
    docx = await land.get(f"{meeting_path}/minutes.docx")
    assert docx.status_code == 200 and "attachment" in docx.headers["content-disposition"]
    document = Document(io.BytesIO(docx.content))
    text = "\n".join([p.text for p in document.paragraphs] + [c.text for t in document.tables for r in t.rows for c in r.cells])
    assert "纪要〔2026〕1号" in text and "南区地块征收交付" in text and "征收办、财政局" in text
    assert "交办清单" in (await land.get(f"{meeting_path}/minutes.html")).text
    # The assignment: the handler signs and reports; the office verifies and closes; the problem is carried by it.
    mine = (await land.get("/assignments")).text
    assignment_id = re.findall(r'id="assignment-([0-9a-f-]+)"', mine)[0]
    assert "交办〔2026〕1号" in mine and forms_of(mine) == {"acknowledge", "report"}
    assert forms_of((await office.get("/assignments")).text) == {"acknowledge", "report"}
    assert forms_of((await leader.get("/assignments")).text) == set()  # he follows it up; the handler signs at its level
    signed = await land.post(f"/assignments/{assignment_id}/acknowledge", data={"note": ""}, headers={"HX-Request": "true"})
    assert "落实中" in signed.text and forms_of(signed.text) == {"report"}
    reported = await land.post(f"/assignments/{assignment_id}/report", headers={"HX-Request": "true"},
                               data={"what_done": "南区地块已完成征收并交付", "evidence": "交地确认书"})
    assert "已报告" in reported.text and "交地确认书" in reported.text and forms_of(reported.text) == set()
    assert (await land.post(f"/assignments/{assignment_id}/verify", data={"accepted": "true"})).status_code == 303
    verified = await office.post(f"/assignments/{assignment_id}/verify", data={"accepted": "true"}, headers={"HX-Request": "true"})
    assert "已核实" in verified.text and forms_of(verified.text) == {"close"}
    closed = await office.post(f"/assignments/{assignment_id}/close", data={"note": "已销号"}, headers={"HX-Request": "true"})
    assert "已销号" in closed.text
    assert "已销号" in (await office.get(meeting_path)).text
    problem_page = (await office.get(f"/problems/{ids[LAND]}")).text
    assert "会议作出决定" in problem_page and "已形成交办事项" in problem_page


async def test_a_problem_raised_on_the_console(world: Coordination) -> None:
    await seeded(world)
    planning = await world.signed_in("fgj")
    listing = (await planning.get("/problems")).text
    assert 'method="post" action="/problems"' in listing and "问题测试项目2" in listing and "施工环境" in listing  # the county's categories
    project_id = re.search(r'<option value="([0-9a-f-]+)"[^>]*>问题测试项目2</option>', listing)
    assert project_id
    made = await planning.post("/problems", data={"project_id": project_id.group(1), "category": "审批", "description": "施工许可证办理滞后"})
    assert made.status_code == 303
    page = (await planning.get(made.headers["location"])).text
    assert "施工许可证办理滞后" in page and "发改局" in page and "系统录入" in page and "fgj同志" in page
    again = await planning.post("/problems", data={"project_id": project_id.group(1), "category": "审批", "description": "施工许可证办理滞后"})
    assert again.status_code == 409 and "相同的未解决问题" in again.text


@pytest.mark.parametrize("login", ["office", "zrzy", "chen", "guest"])
async def test_the_new_pages_show_no_raw_identifier(world: Coordination, login: str) -> None:
    ids = await seeded(world)
    office = await world.signed_in("office")
    meeting = (await office.post("/meetings", data={"kind": "scheduling", "title": "4月调度会", "held_on": "2026-04-20", "chair": "县长"}))
    await office.post(f"/problems/{ids[PLANNING]}/agenda", data={"meeting_id": meeting.headers["location"].rsplit("/", 1)[-1]})
    client = await world.signed_in(login)
    paths = ["/", "/problems", "/problems?all=1", "/problems?state=closed", "/problems?age=90&level=1", "/meetings", meeting.headers["location"],
             "/assignments", "/assignments?all=1", "/problems/no-such-problem", "/meetings/no-such-meeting"]
    paths += [f"/problems/{p}" for p in ids.values()]
    for path in paths:
        for lang in ("zh", "en"):
            response = await client.get(f"{path}{'&' if '?' in path else '?'}lang={lang}")
            check(f"{login} {path} ({lang}, {response.status_code})", response.text)
    refused = await client.post(f"/problems/{ids[PLANNING]}/close", data={}, headers={"HX-Request": "true"})
    check("a refused step", refused.text)


def test_the_console_offers_exactly_what_escalation_allows() -> None:
    """Every role, name, level's target and step: the page's offer and escalation's access rules agree."""
    roles, names = ["office", "leader", "department", "readonly"], ["自然资源局", "陈立新", None]
    targets = [("department", "自然资源局"), ("leader", "陈立新"), ("office", "项目推进联席会议")]
    steps = {"accept": "accepted", "start": "solving", "solve": "solved", "submit": "submitted", "hand-back": "handed_back",
             "agenda": "on_agenda", "close": "closed", "reopen": "reopened"}
    for role, department, target, (step, action) in itertools.product(roles, names, targets, steps.items()):
        person = Person("p", COUNTY, "x", "陈立新" if role == "leader" else "某同志", role, department)
        viewer = Viewer("p", COUNTY, "x", person.name, role, department, "t")
        row = {"target_kind": target[0], "target_name": target[1], "responsible_department": "自然资源局", "leader": "陈立新"}
        allowed = access.may_act_on_problem(person, row, action) and not (step == "agenda" and role == "department")
        assert may_act_on_problem(viewer, row, step) == allowed, (role, department, target, step)
    for role, department, target, step in itertools.product(roles, names, targets, ["acknowledge", "report", "verify", "close"]):
        person = Person("p", COUNTY, "x", "陈立新" if role == "leader" else "某同志", role, department)
        viewer = Viewer("p", COUNTY, "x", person.name, role, department, "t")
        row = {"target_kind": target[0], "target_name": target[1], "handler_department": "自然资源局", "follow_up_leader": "陈立新"}
        assert may_act_on_assignment(viewer, row, step) == access.may_act_on_assignment(person, row, step), (role, department, target, step)


def test_the_console_names_states_and_levels_as_escalation_does() -> None:
    from services.console import catalog

    assert {k: v[0] for k, v in catalog.PROBLEM_STATES.items()} == STATE_NAMES
    assert {k: v[0] for k, v in catalog.PROBLEM_LEVELS.items()} == LEVEL_NAMES
    assert {k: v[0] for k, v in catalog.ASSIGNMENT_STATES.items()} == ASSIGNMENT_STATE_NAMES
    office = Viewer("p", COUNTY, "x", "某同志", "office", None, "t")
    top = {"state": "accepted", "level": 4, "target_kind": "office", "target_name": "调度会"}
    assert "submit" not in problem_offered(office, top) and "hand-back" in problem_offered(office, top)
    assert problem_offered(office, {**top, "state": "solved"}) == {"close", "reopen"}
