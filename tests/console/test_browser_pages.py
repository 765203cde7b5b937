"""The demo county in real headless Chromium over the real processes: every page in words (no raw identifier), no page
wider than a 390 px phone, the overview's must-act list, the queue's pages, and a department's own queue first.
Screenshots at phone and desktop widths go to var/test-artifacts/console/."""
from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.escalation.cases.people import add_person
from services.intake.tokens import issue_token
from services.launcher import ServiceProcesses
from shared.db import make_engine, session_factory
from tests.console import test_browser as chromium
from tests.console.test_browser import SIZES, shoot, sign_in, wait_until
from tests.support.visible import raw_identifiers

COUNTY = "330106"
CLOCK = "fixed:2026-12-05T09:00:00+08:00"  # the demo's ledgers run to October 2026; the November one is due today
DEMO = Path(__file__).resolve().parents[2] / "services" / "demo" / "data" / f"{COUNTY}.json"
pytestmark = chromium.pytestmark
browser = chromium.browser  # the same headless Chromium, as a fixture of this module too
PEOPLE = (("office", "office", None), ("leader", "leader", "陈立新"), ("zrzy", "department", "自然资源局"),
          ("zjj", "department", "住建局"), ("fgj", "department", "发改局"), ("view", "readonly", None))


@pytest.fixture
def demo(nats_server, tmp_path: Path) -> Iterator[tuple[ServiceProcesses, dict[str, str]]]:
    running = ServiceProcesses(nats_server.url, tmp_path, extra_env={"ESCALATION_CLOCK": CLOCK, "CONSOLE_CLOCK": CLOCK,
                                                                      "ESCALATION_SWEEP_INTERVAL_SECONDS": "2"}, console=True)
    running.start_all()
    try:
        token, passwords = asyncio.run(credentials(running))
        items = json.loads(DEMO.read_text(encoding="utf-8"))
        posted = httpx.post(f"{running.url('intake')}/v1/counties/{COUNTY}/updates", json=items,
                            headers={"Authorization": f"Bearer {token}"}, timeout=60)
        assert posted.status_code == 202 and all(r["status"] == "accepted" for r in posted.json()["results"]), posted.text
        yield running, passwords
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


def check_page(driver: Any, what: str) -> None:
    """The page as a person sees it: no raw identifier in its text, nothing wider than a phone."""
    shown = driver.execute_script("return document.body.innerText")
    assert not raw_identifiers(shown), f"{what}: {sorted(set(raw_identifiers(shown)))}"
    driver.set_window_size(*SIZES["phone"])
    width = driver.execute_script("return document.documentElement.scrollWidth")
    driver.set_window_size(*SIZES["desktop"])
    assert width <= SIZES["phone"][0], f"{what} is {width} px wide on a {SIZES['phone'][0]} px phone"


def links(driver: Any, selector: str, limit: int) -> list[str]:
    from selenium.webdriver.common.by import By

    found = [a.get_attribute("href") for a in driver.find_elements(By.CSS_SELECTOR, selector)]
    return list(dict.fromkeys(found))[:limit]


def test_every_page_in_words_on_a_phone_with_who_must_act(demo, browser) -> None:
    from selenium.webdriver.common.by import By

    running, passwords = demo
    console = running.url("console")
    sign_in(browser, console, "office", passwords["office"])

    def cases_listed() -> bool:
        browser.get(f"{console}/cases")
        return bool(browser.find_elements(By.CSS_SELECTOR, "#pager a[rel=next]"))  # the demo's open cases fill pages of 25
    wait_until(cases_listed, timeout=120, what="the demo's cases in the office's queue")

    # The overview answers who must act: red and overdue items, departments and leaders apart, most overdue first.
    browser.get(f"{console}/")
    leaders = browser.find_elements(By.CSS_SELECTOR, "#must-act-leaders li.must-item")
    assert leaders and browser.find_elements(By.ID, "must-act-departments")
    for group in ("departments", "leaders"):  # most overdue first within each group
        days = [int(i.get_attribute("data-days-overdue")) for i in browser.find_elements(By.CSS_SELECTOR, f"#must-act-{group} li.must-item")]
        assert days == sorted(days, reverse=True), (group, days)
    assert {"陈立新", "周晓燕"} & {item.find_element(By.CSS_SELECTOR, "a.who").text for item in leaders}
    shoot(browser, "demo-overview")

    # The queue has totals and pages; page 2 carries on where page 1 stopped.
    browser.get(f"{console}/cases")
    first = {c.get_attribute("id") for c in browser.find_elements(By.CSS_SELECTOR, "article.case-card")}
    assert len(first) == 25 and "共" in browser.find_element(By.ID, "case-totals").text
    browser.find_element(By.CSS_SELECTOR, "#pager a[rel=next]").click()
    wait_until(lambda: "第2/" in browser.find_element(By.ID, "pager").text, what="the second page")
    second = {c.get_attribute("id") for c in browser.find_elements(By.CSS_SELECTOR, "article.case-card")}
    assert second and not first & second
    shoot(browser, "demo-cases-office")

    pages = ["/", "/projects", "/projects?colour=red", "/projects?view=in_progress", "/cases", "/cases?page=2", "/rankings", "/idle-land",
             "/bulletins", "/no-such-page"]
    browser.get(f"{console}/projects")
    pages += [link.removeprefix(console) for link in links(browser, "a.project-link", 40)]
    browser.get(f"{console}/cases")
    pages += [link.removeprefix(console) for link in links(browser, "article.case-card a[href^='/cases/'], a.case-link", 3)]
    browser.get(f"{console}/")
    pages += [link.removeprefix(console) for link in links(browser, "#must-act a.who", 3)]
    for page in pages:
        browser.get(f"{console}{page}")
        check_page(browser, f"office {page}")
    browser.get(f"{console}/projects/{project_id(browser, console, '城西科创产业园')}")
    assert "城西科创产业园" in browser.page_source and "XH2025-017" in browser.page_source
    assert browser.find_elements(By.CSS_SELECTOR, "#ledger tbody tr td.num")  # the 月度台账 has months
    shoot(browser, "demo-project")
    case = links(browser, "a.case-link", 1)
    if case:
        browser.get(case[0])
        shoot(browser, "demo-case")


def project_id(driver: Any, console: str, name: str) -> str:
    from selenium.webdriver.common.by import By

    driver.get(f"{console}/projects?q={name}")
    return str(driver.find_element(By.CSS_SELECTOR, "a.project-link").get_attribute("href")).rsplit("/", 1)[-1]


def test_each_department_works_its_own_queue_first(demo, browser) -> None:
    from selenium.webdriver.common.by import By

    running, passwords = demo
    console = running.url("console")
    for login, department in (("zjj", "住建局"), ("fgj", "发改局"), ("zrzy", "自然资源局")):
        sign_in(browser, console, login, passwords[login])

        def own_cases() -> list[Any]:
            browser.get(f"{console}/cases")
            return browser.find_elements(By.CSS_SELECTOR, "article.case-card")
        cards = wait_until(own_cases, timeout=120, what=f"{department}'s cases")
        assert all(department in c.text and "mine" in c.get_attribute("class") for c in cards), [c.text for c in cards]
        for card in cards:  # what waits on it to sign has the button; what the office must review next has none
            waiting = card.find_element(By.CSS_SELECTOR, ".case-state").text == "待签收"
            assert bool(card.find_elements(By.CSS_SELECTOR, "form.act-acknowledge")) == waiting, card.text
        check_page(browser, f"{login} /cases")
        shoot(browser, f"demo-cases-{login}")
        browser.get(f"{console}/cases?all=1")
        for card in browser.find_elements(By.CSS_SELECTOR, "article.case-card"):
            if "mine" not in (card.get_attribute("class") or ""):
                assert not card.find_elements(By.CSS_SELECTOR, "form"), f"{department} offered an action on: {card.text}"
        for page in ("/", "/projects", "/rankings", "/idle-land"):
            browser.get(f"{console}{page}")
            check_page(browser, f"{login} {page}")
    sign_in(browser, console, "leader", passwords["leader"])
    browser.get(f"{console}/cases")
    assert browser.find_elements(By.CSS_SELECTOR, "article.case-card.mine")
    check_page(browser, "leader /cases")
    sign_in(browser, console, "view", passwords["view"])
    for page in ("/", "/cases", "/cases?all=1"):
        browser.get(f"{console}{page}")
        assert not browser.find_elements(By.CSS_SELECTOR, "article.case-card form")
        check_page(browser, f"readonly {page}")
