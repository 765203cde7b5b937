"""The 问题清单, a problem's page, a meeting's page, a referral (移送) and a project's page in real headless Chromium over the real processes: problems arrive from
the ledgers through intake, tracker and escalation; a department accepts one and submits it upward, the leader puts it on
the joint meeting's agenda, the office decides and issues the minutes, and the department finds its assignment. Every page
in words and no wider than a phone. A budget overrun over 20% is referred to 区纪委监委, which signs for it; the project's
page shows its problems, its referrals and every rule as of a day. Screenshots at desktop and phone widths go to var/test-artifacts/console/."""
from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from services.escalation.cases.people import add_person
from services.escalation.tables import cases
from services.intake.tokens import issue_token
from services.launcher import ServiceProcesses
from shared.db import make_engine, session_factory
from tests.console import test_browser as chromium
from tests.console.test_browser import CLOCK, COUNTY, item, post, red_project, shoot, sign_in, wait_until
from tests.console.test_browser_pages import check_page

pytestmark = chromium.pytestmark
browser = chromium.browser
PEOPLE = (("office", "office", None), ("zrzy", "department", "自然资源局"), ("leader", "leader", "陈立新"), ("fgj", "department", "发改局"),
          ("jw", "department", "区纪委监委"))
LAND = "南区地块尚未完成征收交付，影响开工"
POWER = "10千伏供电线路迁改未完成"
PLANNING = "规划条件调整尚未批复，影响施工图审查"


def reported(key: str, description: str, category: str, department: str, month: str) -> dict[str, str]:
    return {"key": key, "description": description, "category": category, "responsible_department": department, "month": month}


@pytest.fixture
def system(nats_server, tmp_path: Path) -> Iterator[tuple[ServiceProcesses, str, dict[str, str]]]:
    running = ServiceProcesses(nats_server.url, tmp_path, extra_env={"ESCALATION_CLOCK": CLOCK, "CONSOLE_CLOCK": CLOCK,
                                                                      "ESCALATION_SWEEP_INTERVAL_SECONDS": "2"}, console=True)
    running.start_all()
    try:
        token, passwords = asyncio.run(credentials(running))
        yield running, token, passwords
    finally:
        running.stop_all()


async def credentials(running: ServiceProcesses) -> tuple[str, dict[str, str]]:
    intake, escalation = make_engine(*running.database["intake"]), make_engine(*running.database["escalation"])
    try:
        token = await issue_token(session_factory(intake), COUNTY, "browser test")
        passwords = {}
        for login, role, department in PEOPLE:
            _, passwords[login] = await add_person(session_factory(escalation), COUNTY, login, f"{login}同志", role, department)
        return token, passwords
    finally:
        await intake.dispose()
        await escalation.dispose()


def ledgers() -> list[dict[str, Any]]:
    """January's ledger of 城西科创产业园 (a land and a power problem) and one of 三墩数字港 (a planning problem)."""
    return [*red_project(),
            item(1, "january", reported_problems=[reported("P-7", LAND, "用地", "自然资源局", "2026-01"),
                                                  reported("P-8", POWER, "水电气配套", "供电公司", "2026-01")]),
            item(2, "a", name="三墩数字港", stage="started", township="三墩镇", leader="周晓燕", lead_department="发改局",
                 responsible_unit="发改局", reported_problems=[reported("G-1", PLANNING, "规划", "发改局", "2026-01")])]


def february() -> list[dict[str, Any]]:
    """February's ledger of 城西科创产业园 reports the land problem again."""
    return [item(1, "february!", reported_problems=[reported("P-7", LAND, "用地", "自然资源局", "2026-02")])]


def row(driver: Any, text: str) -> Any:
    from selenium.webdriver.common.by import By

    return next((r for r in driver.find_elements(By.CSS_SELECTOR, "article.problem-row") if text in r.text), None)


def test_a_problem_from_the_ledger_to_the_meeting_and_its_assignment(system, browser) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    running, token, passwords = system
    console = running.url("console")
    post(running.url("intake"), token, ledgers())

    # The office's list: every problem, counts by category and level, the land problem reported two months running.
    sign_in(browser, console, "office", passwords["office"])

    def listed(months: str = "") -> Any:
        browser.get(f"{console}/problems")
        found = row(browser, LAND)
        return found if found and months in found.text and row(browser, PLANNING) else None
    wait_until(listed, timeout=120, what="January's problems in the office's list")
    post(running.url("intake"), token, february())
    land = wait_until(lambda: listed("连续2个月报告"), timeout=120, what="the land problem reported again in February")
    for shown in ("城西科创产业园", "用地", "责任部门解决", "自然资源局", "2026-03-16"):
        assert shown in land.text, shown
    assert "水电气配套" in browser.find_element(By.ID, "count-category").text
    check_page(browser, "office /problems")
    shoot(browser, "problems-office")

    # The department sees its own, accepts it and submits it upward with its reason; then it has no button left.
    sign_in(browser, console, "zrzy", passwords["zrzy"])
    browser.get(f"{console}/problems")
    rows = browser.find_elements(By.CSS_SELECTOR, "article.problem-row")
    assert len(rows) == 1 and LAND in rows[0].text and "mine" in rows[0].get_attribute("class")
    check_page(browser, "department /problems")
    shoot(browser, "problems-department")
    rows[0].find_element(By.CSS_SELECTOR, "a.problem-link").click()
    wait_until(lambda: browser.find_elements(By.CSS_SELECTOR, "form.act-accept"), what="the problem's page")
    problem_url = browser.current_url
    browser.find_element(By.CSS_SELECTOR, "form.act-accept input[name=note]").send_keys("已安排专人对接")
    browser.find_element(By.CSS_SELECTOR, "form.act-accept button").click()
    wait_until(lambda: "已受理" in browser.find_element(By.CSS_SELECTOR, ".problem-state").text, what="accepted")
    browser.find_element(By.XPATH, "//details[summary[text()='提交上一级']]/summary").click()
    browser.find_element(By.CSS_SELECTOR, "form.act-submit textarea[name=reason]").send_keys("征收补偿标准需区领导协调")
    browser.find_element(By.CSS_SELECTOR, "form.act-submit button").click()
    wait_until(lambda: "分包领导协调" in browser.find_element(By.CSS_SELECTOR, ".problem-card header").text, what="submitted upward")
    assert not browser.find_elements(By.CSS_SELECTOR, "#problem-actions form")
    history = browser.find_element(By.ID, "problem-history").text
    assert "征收补偿标准需区领导协调" in history and "zrzy同志（部门）" in history and "业务日 2026-03-02" in history
    check_page(browser, "department problem page")
    shoot(browser, "problem-department")

    # The office schedules the joint meeting.
    sign_in(browser, console, "office", passwords["office"])
    browser.get(f"{console}/meetings")
    form = browser.find_element(By.CSS_SELECTOR, "#schedule form")
    Select(form.find_element(By.NAME, "kind")).select_by_visible_text("项目推进联席会议")
    form.find_element(By.NAME, "title").send_keys("2026年第3次项目推进联席会议")
    browser.execute_script("arguments[0].value = '2026-03-10'", form.find_element(By.NAME, "held_on"))
    form.find_element(By.NAME, "chair").send_keys("陈立新")
    form.find_element(By.NAME, "departments").send_keys("自然资源局、供电公司")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_until(lambda: "/meetings/" in browser.current_url and browser.find_elements(By.ID, "agenda"), what="the meeting's page")
    meeting_url = browser.current_url
    browser.get(f"{console}/meetings")
    assert "2026年第3次项目推进联席会议" in browser.find_element(By.ID, "meeting-list").text
    check_page(browser, "office /meetings")
    shoot(browser, "meetings-office")

    # The leader puts the problem on that meeting's agenda.
    sign_in(browser, console, "leader", passwords["leader"])
    browser.get(problem_url)
    browser.find_element(By.XPATH, "//details[summary[text()='列入会议议题']]/summary").click()
    Select(browser.find_element(By.CSS_SELECTOR, "form.act-agenda select")).select_by_visible_text("2026-03-10 2026年第3次项目推进联席会议")
    browser.find_element(By.CSS_SELECTOR, "form.act-agenda button").click()
    wait_until(lambda: "联席会议研究" in browser.find_element(By.CSS_SELECTOR, ".problem-card header").text, what="on the agenda")

    # The office: the agenda carries it; a decision becomes a numbered assignment; the minutes are issued.
    sign_in(browser, console, "office", passwords["office"])
    browser.get(meeting_url)
    item_row = next(i for i in browser.find_elements(By.CSS_SELECTOR, "li.agenda-item") if LAND[:8] in i.text)
    item_row.find_element(By.CSS_SELECTOR, "details.decide summary").click()
    assert item_row.find_elements(By.CSS_SELECTOR, "form.act-remove") and not item_row.find_elements(By.CSS_SELECTOR, "form.act-up")
    check_page(browser, "office meeting page before the decision")
    shoot(browser, "meeting-agenda-office")
    browser.get(meeting_url)
    item_row = next(i for i in browser.find_elements(By.CSS_SELECTOR, "li.agenda-item") if LAND[:8] in i.text)
    item_row.find_element(By.CSS_SELECTOR, "details.decide summary").click()
    decide = item_row.find_element(By.CSS_SELECTOR, "form.act-decide")
    decide.find_element(By.NAME, "decision").send_keys("自然资源局牵头，3月31日前完成南区地块征收交付")
    decide.find_element(By.NAME, "handler_department").send_keys("自然资源局")
    decide.find_element(By.NAME, "co_departments").send_keys("征收办、财政局")
    browser.execute_script("arguments[0].value = '2026-03-31'", decide.find_element(By.NAME, "deadline"))
    decide.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_until(lambda: "交办〔2026〕1号" in browser.find_element(By.ID, "meeting-assignments").text, what="the assignment")
    browser.find_element(By.CSS_SELECTOR, "form.act-minutes button").click()
    wait_until(lambda: browser.find_elements(By.ID, "minutes-docx"), what="the minutes issued")
    assert "纪要〔2026〕1号" in browser.find_element(By.ID, "minutes").text
    check_page(browser, "office meeting page")
    shoot(browser, "meeting-office")
    browser.get(browser.find_element(By.ID, "minutes-html").get_attribute("href"))
    assert "交办清单" in browser.page_source and "征收办、财政局" in browser.page_source

    # The department finds its assignment first, with 签收 and 报告落实情况 to do.
    sign_in(browser, console, "zrzy", passwords["zrzy"])
    browser.get(f"{console}/assignments")
    [assignment] = browser.find_elements(By.CSS_SELECTOR, "article.assignment-row")
    assert "交办〔2026〕1号" in assignment.text and assignment.find_elements(By.CSS_SELECTOR, "form.act-acknowledge")
    assignment.find_element(By.CSS_SELECTOR, "form.act-acknowledge button").click()
    wait_until(lambda: "落实中" in browser.find_element(By.CSS_SELECTOR, "article.assignment-row .assignment-state").text,
               what="acknowledged")
    check_page(browser, "department /assignments")
    shoot(browser, "assignments-department")
    browser.get(meeting_url)
    assert not browser.find_elements(By.CSS_SELECTOR, "#agenda form")  # a department reads the meeting, the office edits it
    check_page(browser, "department meeting page")
    shoot(browser, "meeting-department")
    browser.get(problem_url)
    shoot(browser, "problem-after-decision")


def overrun() -> list[dict[str, Any]]:
    """城西快速路: government funded, 1亿元 budget, 1.25亿元 committed (over 20%, unapproved), and a late permit in its ledger."""
    return [item(4, "budget", name="城西快速路", stage="started", nature="new", township="西湖街道", leader="陈立新", lead_department="发改局",
                 responsible_unit="城投公司", government_funded=True, budget_fen=100_000_000_00, committed_cost_fen=125_000_000_00,
                 spent_cost_fen=40_000_000_00, reported_problems=[reported("Q-1", "施工许可证办理滞后", "审批", "发改局", "2026-02")])]


async def overrun_case(running: ServiceProcesses) -> str:
    engine = make_engine(*running.database["escalation"])
    try:
        async with session_factory(engine)() as session:
            return str(await session.scalar(select(cases.c.case_id).where(cases.c.rule_id == "R2.budget_overrun")))
    finally:
        await engine.dispose()


def test_a_referral_signed_for_by_the_body_and_the_projects_page_as_of_a_day(system, browser) -> None:
    from selenium.webdriver.common.by import By

    running, token, passwords = system
    console = running.url("console")
    post(running.url("intake"), token, overrun())

    # The office's 移送 list: the overrun referred to 区纪委监委 and 审计局, neither signed for yet.
    sign_in(browser, console, "office", passwords["office"])

    def referred() -> Any:
        browser.get(f"{console}/referrals")
        found = browser.find_elements(By.CSS_SELECTOR, "article.referral-row")
        return found if len(found) == 2 else None
    rows = wait_until(referred, timeout=120, what="the overrun's two referrals")
    assert {"区纪委监委", "审计局"} <= {r.find_element(By.TAG_NAME, "b").text for r in rows}
    assert "待签收 2" in browser.find_element(By.ID, "referral-totals").text
    check_page(browser, "office /referrals")
    shoot(browser, "referrals-office")
    body = next(r for r in rows if "区纪委监委" in r.text)
    body.find_element(By.CSS_SELECTOR, "a.referral-link").click()
    wait_until(lambda: browser.find_elements(By.ID, "referral-figures"), what="the referral's page")
    referral_url = browser.current_url
    figures = browser.find_element(By.ID, "referral-figures").text
    for shown in ("批复预算", "1.00亿元", "合同承诺成本", "1.25亿元", "超支金额", "2,500.00万元", "超支比例", "25.00%"):
        assert shown in figures, shown
    assert not browser.find_elements(By.CSS_SELECTOR, "#referral-actions form")  # the office reads, the body signs
    check_page(browser, "office referral page")
    shoot(browser, "referral-office")

    # 区纪委监委 finds it in its menu and signs for it.
    sign_in(browser, console, "jw", passwords["jw"])
    browser.find_element(By.ID, "nav-referrals").click()
    wait_until(lambda: len(browser.find_elements(By.CSS_SELECTOR, "article.referral-row")) == 1, what="the body's own referral")
    browser.get(referral_url)
    browser.find_element(By.CSS_SELECTOR, "form.act-acknowledge input[name=note]").send_keys("已收到，依规处理")
    browser.find_element(By.CSS_SELECTOR, "form.act-acknowledge button").click()
    wait_until(lambda: "已签收" in browser.find_element(By.CSS_SELECTOR, ".referral-state").text, what="signed for")
    assert "已收到，依规处理" in browser.find_element(By.ID, "referral-history").text
    check_page(browser, "body referral page")
    shoot(browser, "referral-signed-body")

    # The project's case (the lead department's) says where its escalation went.
    sign_in(browser, console, "office", passwords["office"])
    browser.get(f"{console}/cases/{asyncio.run(overrun_case(running))}")
    line = browser.find_element(By.ID, "case-referrals").text
    assert re.fullmatch(r"已移送：区纪委监委（已签收 2026-03-02） / 审计局（尚未签收）", line), line
    check_page(browser, "office case page with referrals")
    shoot(browser, "case-referred")

    # The project's page: its problem, its referrals, and every rule's result as of a day.
    browser.find_element(By.CSS_SELECTOR, ".case-card a[href^='/projects/'], main a[href^='/projects/']").click()
    wait_until(lambda: browser.find_elements(By.ID, "as-of"), what="the project's page")
    assert "施工许可证办理滞后" in browser.find_element(By.ID, "project-problems").text
    assert "区纪委监委" in browser.find_element(By.ID, "project-referrals").text
    as_of = browser.find_element(By.ID, "as-of")
    assert "区纪委监委（办理）" in as_of.text and "未触发" in as_of.text
    check_page(browser, "office project page")
    shoot(browser, "project-office")
    browser.execute_script("arguments[0].value = '2026-01-31'", as_of.find_element(By.NAME, "as_of"))
    as_of.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait_until(lambda: "尚无本项目数据" in browser.find_element(By.ID, "as-of-result").text, what="a day before anything was known")
    shoot(browser, "project-as-of-before", sizes=("phone",))
