"""The console's 移送 pages, the referrals on a case's and a project's page, and a project's rules "as of" a day, over
escalation's real API (case API to sign in, problem API for referrals and problems, the county read for "as of" behind
the service token) on a database of its own, through ASGI: what each person sees, who signs, and the words shown."""
from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.console import catalog
from services.console.app import add_pages
from services.console.escalation_api import EscalationApi
from services.console.projection.projects import apply_project_changes
from services.console.settings import Settings
from services.console.web import Console, templates
from services.escalation.cases.api import build_case_api
from services.escalation.cases.people import add_person
from services.escalation.cases.policy import case_policies
from services.escalation.cases.referrals import STATE_NAMES
from services.escalation.problems.api import build_problem_api
from services.escalation.reads_cases import build_case_reads
from services.escalation.service import apply_changes
from services.escalation.tables import cases, referrals
from shared.clock import FixedClock
from shared.contracts import ProjectSnapshot, ProjectStateChanged
from shared.db import make_engine, migrate, session_factory
from shared.service_token import guard
from tests.console.conftest import MIGRATIONS, sign_in
from tests.console.test_words import check
from tests.service.problems.test_problem_list import COUNTY, OTHER, POLICY_DIR, POLICY_FOR, PROBLEM_POLICY_FOR, at

ROOT = Path(__file__).resolve().parents[2]
SERVICE_TOKEN = "console-service-token-for-the-referral-tests-000"
PID = uuid.uuid5(uuid.NAMESPACE_URL, "referral-pages|1")
BUDGET = 100_000_000_00  # 1亿元
JUNE, SEPTEMBER, SIGNED = date(2026, 6, 1), date(2026, 9, 30), date(2026, 10, 8)
PEOPLE = [("office", COUNTY, "office", None), ("jw", COUNTY, "department", "区纪委监委"), ("sj", COUNTY, "department", "审计局"),
          ("fgj", COUNTY, "department", "区发改局"), ("chen", COUNTY, "leader", "陈立新"), ("guest", COUNTY, "readonly", None),
          ("yiwu", OTHER, "office", None)]
LATE_PERMIT = "施工许可证办理滞后"


def version(n: int, committed_fen: int, recorded: datetime, **more: Any) -> ProjectStateChanged:
    """城西快速路, government funded, with 1亿元 budget: tracker's state after its n-th update."""
    snap = ProjectSnapshot.model_validate({
        "project_id": PID, "project_code": f"2403-{COUNTY}-04-01-000077", "name": "城西快速路", "stage": "started", "nature": "new",
        "leader": "陈立新", "lead_department": "区发改局", "responsible_unit": "城投公司", "government_funded": True,
        "budget_fen": BUDGET, "committed_cost_fen": committed_fen, "spent_cost_fen": BUDGET // 2, "last_source_record_time": recorded,
        **more})
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"referral-pages|state|{n}")
    return ProjectStateChanged(event_id=event_id, occurred_at=recorded, county_code=COUNTY, correlation_id=str(PID), project_id=PID,
                               version=n, changed_fields=("committed_cost_fen", *(f"reported_problems.{p['key']}.month" for p in
                                                                                  more.get("reported_problems", []))), snapshot=snap,
                               caused_by=uuid.uuid5(uuid.NAMESPACE_URL, f"referral-pages|update|{n}"), source_system="财政局支付台账")


@dataclass
class Referrals:
    escalation: async_sessionmaker
    app: FastAPI
    clock: FixedClock
    passwords: dict[str, str]

    async def signed_in(self, login: str) -> httpx.AsyncClient:
        return await sign_in(self.app, login, self.passwords[login])

    async def ids(self) -> dict[str, str]:
        """The referrals by body, and the project's budget-overrun case as "case"."""
        async with self.escalation() as session:
            found = dict((await session.execute(select(referrals.c.target_name, referrals.c.referral_id))).all())
            found["case"] = await session.scalar(select(cases.c.case_id).where(cases.c.rule_id == "R2.budget_overrun"))
        return found


@pytest.fixture
async def world(database: tuple[str, str | None], tmp_path: Path) -> AsyncIterator[Referrals]:
    """June: 10% over (the lead department's case). September: 20.00000001% over, referred to 区纪委监委 and 审计局, and the
    ledger reports a late permit (a problem of the project)."""
    escalation_url = f"sqlite+aiosqlite:///{tmp_path / 'escalation.db'}"
    await migrate(ROOT / "services" / "escalation" / "migrations", escalation_url, None)
    await migrate(MIGRATIONS, *database)
    escalation_engine, console_engine = make_engine(escalation_url, None), make_engine(*database)
    escalation, console_sessions = session_factory(escalation_engine), session_factory(console_engine)
    passwords = {}
    for login, county, role, department in PEOPLE:
        _, passwords[login] = await add_person(escalation, county, login, f"{login}同志", role, department)
    clock = FixedClock(at(JUNE))
    june = version(1, BUDGET * 110 // 100, datetime(2026, 6, 1, 1, tzinfo=UTC))
    september = version(2, BUDGET * 120 // 100 + 1, datetime(2026, 9, 30, 1, tzinfo=UTC), reported_problems=[
        {"key": "Q-1", "description": LATE_PERMIT, "category": "审批", "responsible_department": "区发改局", "month": "2026-09"}])
    for day, change in ((JUNE, june), (SEPTEMBER, september)):
        await apply_changes(escalation, [change], POLICY_FOR, day, at(day), problem_policy_for=PROBLEM_POLICY_FOR)
        await apply_project_changes(console_sessions, [change], at(day))
    clock.set(at(SEPTEMBER))
    api = FastAPI()
    api.include_router(build_case_api(escalation, clock, POLICY_FOR, case_policies(POLICY_DIR)))
    api.include_router(build_problem_api(escalation, clock, POLICY_FOR, PROBLEM_POLICY_FOR, case_policies(POLICY_DIR)))
    api.include_router(build_case_reads(escalation, clock, POLICY_FOR), dependencies=[Depends(guard(SERVICE_TOKEN))])
    client = EscalationApi("http://escalation", transport=httpx.ASGITransport(app=api), service_token=SERVICE_TOKEN)
    console = Console(console_sessions, client, clock, Settings(_env_file=None), templates())  # type: ignore[call-arg]
    yield Referrals(escalation, add_pages(FastAPI(), console), clock, passwords)
    await client.close()
    await escalation_engine.dispose()
    await console_engine.dispose()


def rows_of(page: str) -> list[str]:
    return re.findall(r'id="referral-row-([0-9a-f-]+)"', page)


def forms_of(page: str) -> set[str]:
    return set(re.findall(r'class="act act-([a-z-]+)"', page))


def section(page: str, element_id: str) -> str:
    start = page.index(f'id="{element_id}"')
    return page[start:page.index("</section>", start)]


async def test_the_office_lists_every_referral_and_reads_its_evidence_pack(world: Referrals) -> None:
    ids = await world.ids()
    office = await world.signed_in("office")
    listing = (await office.get("/referrals")).text
    assert 'id="nav-referrals"' in listing
    assert set(rows_of(listing)) == {ids["区纪委监委"], ids["审计局"]}
    assert "待签收 2" in listing and "城西快速路" in listing and "超概算" in listing and "2026-09-30" in listing
    page = (await office.get(f"/referrals/{ids['区纪委监委']}")).text
    assert "关于城西快速路" in page and "移送函" in page and "不是处理决定" in page and "尚未签收" in page
    figures = section(page, "referral-what")
    # Money to the fen (one fen over the 20% line reads as over it) and the percentage as the rule gave it.
    for shown in ("批复预算", "1.00亿元", "已批准调整", "0.00元", "合同承诺成本", "1.2000000001亿元", "已支付成本", "5,000.00万元",
                  "超支金额", "2,000.000001万元", "超支比例", "20.00000001%", "阈值", "20%", "阈值规则", "超过"):
        assert shown in figures, shown
    told = section(page, "referral-told")
    for shown in ("区纪委监委", "审计局", "移送", "财政局", "告知", "区发改局", "立案督办", "2026-06-01", "2026-09-30"):
        assert shown in told, shown
    history = section(page, "referral-history")
    assert "系统" in history and "移送" in history and "已移送" in history
    assert forms_of(page) == set()  # the office reads; only the body signs


async def test_a_body_sees_only_its_own_and_signs_for_it(world: Referrals) -> None:
    ids = await world.ids()
    jw, sj, lead = await world.signed_in("jw"), await world.signed_in("sj"), await world.signed_in("fgj")
    assert rows_of((await jw.get("/referrals")).text) == [ids["区纪委监委"]]
    assert rows_of((await sj.get("/referrals")).text) == [ids["审计局"]]
    lead_list = (await lead.get("/referrals")).text
    assert rows_of(lead_list) == [] and 'id="nav-referrals"' not in lead_list  # nothing referred to it: no menu entry
    assert 'id="nav-referrals"' in (await jw.get("/")).text
    assert (await lead.get(f"/referrals/{ids['区纪委监委']}")).status_code == 403
    assert (await sj.get(f"/referrals/{ids['区纪委监委']}")).status_code == 403
    # Another body cannot sign for it, whether by the page's form or by htmx.
    assert (await sj.post(f"/referrals/{ids['区纪委监委']}/acknowledge", data={"note": "x"})).status_code == 403
    assert (await lead.post(f"/referrals/{ids['区纪委监委']}/acknowledge", data={}, headers={"HX-Request": "true"})).status_code == 403
    page = (await jw.get(f"/referrals/{ids['区纪委监委']}")).text
    assert forms_of(page) == {"acknowledge"} and f'name="csrf" value="{jw.headers["X-CSRF-Token"]}"' in page
    token = jw.headers.pop("X-CSRF-Token")  # the form without the session's CSRF token is refused, and nothing is signed
    assert (await jw.post(f"/referrals/{ids['区纪委监委']}/acknowledge", data={"note": "伪造"})).status_code == 403
    jw.headers["X-CSRF-Token"] = token
    assert "尚未签收" in (await jw.get(f"/referrals/{ids['区纪委监委']}")).text
    world.clock.set(at(SIGNED))
    signed = await jw.post(f"/referrals/{ids['区纪委监委']}/acknowledge", data={"note": "已收到，依规处理"}, headers={"HX-Request": "true"})
    assert "已办理" in signed.text and "已签收 2026-10-08（jw同志）" in signed.text and forms_of(signed.text) == set()
    history = re.sub(r"<[^>]+>", "", section(signed.text, "referral-history"))
    assert "jw同志（部门）" in history and "签收" in history and "已收到，依规处理" in history
    again = await jw.post(f"/referrals/{ids['区纪委监委']}/acknowledge", data={}, headers={"HX-Request": "true"})
    assert "办理失败" in again.text and "已签收" in again.text
    assert (await jw.post(f"/referrals/{ids['区纪委监委']}/acknowledge", data={})).status_code == 303  # a plain form: back to the page
    assert "尚未签收" in (await sj.get(f"/referrals/{ids['审计局']}")).text


async def test_readonly_and_the_office_read_all_but_cannot_sign(world: Referrals) -> None:
    ids = await world.ids()
    for login in ("guest", "office"):
        client = await world.signed_in(login)
        assert len(rows_of((await client.get("/referrals")).text)) == 2
        page = (await client.get(f"/referrals/{ids['审计局']}")).text
        assert forms_of(page) == set() and "<form hx-post" not in page.split('id="referral-card"')[1].split("</section>")[0]
        refused = await client.post(f"/referrals/{ids['审计局']}/acknowledge", data={}, headers={"HX-Request": "true"})
        assert "您无权办理此事项" in refused.text and "尚未签收" in refused.text
    leader = await world.signed_in("chen")
    assert 'id="nav-referrals"' not in (await leader.get("/")).text
    assert (await leader.get("/referrals")).status_code == 403
    assert (await (await world.signed_in("yiwu")).get(f"/referrals/{ids['审计局']}")).status_code == 404  # another county's


async def test_the_case_page_says_where_its_escalation_was_referred(world: Referrals) -> None:
    ids = await world.ids()
    world.clock.set(at(SIGNED))
    await (await world.signed_in("jw")).post(f"/referrals/{ids['区纪委监委']}/acknowledge", data={"note": ""})
    page = (await (await world.signed_in("office")).get(f"/cases/{ids['case']}")).text
    line = page[page.index('id="case-referrals"'):]
    line = re.sub(r"<[^>]+>", "", line[line.index(">") + 1:line.index("</p>")])
    assert line == "已移送：区纪委监委（已签收 2026-10-08） / 审计局（尚未签收）"
    assert f'href="/referrals/{ids["区纪委监委"]}"' in page and f'href="/referrals/{ids["审计局"]}"' in page
    # The lead department works the case; the referral is not its to read (escalation shows it only to the bodies).
    lead_page = (await (await world.signed_in("fgj")).get(f"/cases/{ids['case']}")).text
    assert "区发改局" in lead_page and 'id="case-referrals"' not in lead_page


async def test_the_project_page_shows_problems_referrals_and_every_rule_as_of_a_day(world: Referrals) -> None:
    ids = await world.ids()
    office = await world.signed_in("office")
    page = (await office.get(f"/projects/{PID}")).text
    problems = section(page, "project-problems")
    assert LATE_PERMIT in problems and "审批" in problems and "区发改局" in problems and "责任部门解决" in problems
    referred = section(page, "project-referrals")
    assert f"/referrals/{ids['区纪委监委']}" in referred and f"/referrals/{ids['审计局']}" in referred and "已移送" in referred
    # Today (30 September, the default day): the second version, over 20%, referred to the bodies.
    today = section(page, "as-of")
    assert 'value="2026-09-30"' in today and "第2版" in today
    assert "超概算" in today and "区纪委监委（办理）" in today and "审计局（办理）" in today and "财政局（知悉）" in today
    assert "20.00000001%" in today and "未触发" in today and "闲置土地" in today  # every rule accounted for
    # 1 July: the June version, 10% over: yellow, the lead department and the leader must act.
    july = (await office.get(f"/projects/{PID}", params={"as_of": "2026-07-01"})).text
    known = section(july, "as-of")
    assert "截至2026-07-01：依据第1版数据" in known and "超概算未批(报告并暂停施工)" in known
    assert "区发改局（办理）" in known and "陈立新（办理）" in known and "区纪委监委" not in known
    assert "合同承诺成本" in known and "1.10亿元" in known  # the facts as known that day
    # The date form's htmx answer is that section alone; before anything was known it says so.
    partial = (await office.get(f"/projects/{PID}/as-of", params={"as_of": "2026-05-31"}, headers={"HX-Request": "true"})).text
    assert "截至该日尚无本项目数据" in partial and "<html" not in partial
    assert "第1版" in (await office.get(f"/projects/{PID}/as-of", params={"as_of": "2026-06-01"})).text
    # Someone whose scope does not hold the project reads nothing of it, "as of" included.
    assert (await (await world.signed_in("yiwu")).get(f"/projects/{PID}/as-of")).status_code == 404


@pytest.mark.parametrize("login", ["office", "jw", "fgj", "chen", "guest"])
async def test_the_referral_pages_show_no_raw_identifier(world: Referrals, login: str) -> None:
    ids = await world.ids()
    world.clock.set(at(SIGNED))
    await (await world.signed_in("jw")).post(f"/referrals/{ids['区纪委监委']}/acknowledge", data={"note": "收到"})
    client = await world.signed_in(login)
    paths = ["/referrals", "/referrals?state=referred", "/referrals?state=acknowledged", f"/referrals/{ids['区纪委监委']}",
             f"/referrals/{ids['审计局']}", "/referrals/no-such-referral", f"/cases/{ids['case']}", f"/projects/{PID}",
             f"/projects/{PID}?as_of=2026-07-01", f"/projects/{PID}?as_of=2026-01-01", f"/projects/{PID}/as-of?as_of=2026-09-30"]
    for path in paths:
        for lang in ("zh", "en"):
            response = await client.get(f"{path}{'&' if '?' in path else '?'}lang={lang}")
            check(f"{login} {path} ({lang}, {response.status_code})", response.text)
    refused = await client.post(f"/referrals/{ids['审计局']}/acknowledge", data={}, headers={"HX-Request": "true"})
    check("a refused signature", refused.text)


def test_the_console_names_referral_states_as_escalation_does() -> None:
    assert {k: v[0] for k, v in catalog.REFERRAL_STATES.items()} == STATE_NAMES
