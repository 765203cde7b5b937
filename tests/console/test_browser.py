"""The console in real headless Chromium over the real processes: a department works its case, the office sees it move,
and a new escalation appears on the open page without a reload. Screenshots go to var/test-artifacts/console/."""
from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.escalation.cases.people import add_person
from services.intake.tokens import issue_token
from services.launcher import ServiceProcesses
from shared.db import make_engine, session_factory
from shared.tls import client_tls

CHROMEDRIVER, CHROMIUM = Path("/usr/bin/chromedriver"), Path("/usr/bin/chromium")
# CI (.ci/run) installs the browser and sets TUIJIN_REQUIRE_BROWSER: there a missing browser fails instead of skipping.
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("browser"), pytest.mark.skipif(not CHROMEDRIVER.exists() and not os.environ.get("TUIJIN_REQUIRE_BROWSER"),
                                                  reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")]
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts" / "console"
COUNTY = "330106"
CLOCK = "fixed:2026-03-02T09:00:00+08:00"  # Beijing 2026-03-02: land agreed to start 2025-03-01 is idle from today
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}


def item(n: int, record: str, **facts: Any) -> dict[str, Any]:
    return {"project_code": f"2403-{COUNTY}-04-01-{n:06d}", "source_system": "自然资源局土地供应台账", "source_record_id": f"{n}-{record}",
            "source_record_time": (datetime(2026, 2, 20, tzinfo=UTC) + timedelta(minutes=n, seconds=len(record))).isoformat(), **facts}


def red_project() -> list[dict[str, Any]]:
    """Idle land (red, the leader's case) and a parcel at the 9-month warning (yellow, the lead department's case)."""
    facts = {"name": "城西科创产业园", "stage": "signed", "nature": "new", "township": "转塘街道", "leader": "陈立新",
             "lead_department": "自然资源局", "responsible_unit": "住建局", "total_investment_fen": 120_000_000_00,
             "milestones": [{"name": "开工", "planned": "2026-02-01"}, {"name": "用地", "planned": "2025-02-01", "actual": "2025-02-20"}],
             "expropriation": [{"as_of": "2026-02-13", "households_total": 80, "households_signed": 31},
                               {"as_of": "2026-02-27", "households_total": 80, "households_signed": 56}]}
    return [item(1, "a", **facts, land_parcel={"parcel_id": "XH-1", "agreed_start_date": "2025-03-01", "land_price_fen": 5_000_000_00}),
            item(1, "b", land_parcel={"parcel_id": "XH-1b", "agreed_start_date": "2025-06-01", "land_price_fen": 1_000_000_00})]


def others() -> list[dict[str, Any]]:
    return [item(n, "a", name=name, stage=stage, township=town, leader="周晓燕", lead_department="发改局", responsible_unit=unit,
                 annual_plan_fen=50_000_000_00, investment_ytd_fen=6_000_000_00)
            for n, name, stage, town, unit in ((2, "三墩数字港", "started", "三墩镇", "发改局"), (3, "留下物流中心", "reserve", "留下街道", "商务局"))]


@pytest.fixture
def system(nats_server, tmp_path: Path) -> Iterator[tuple[ServiceProcesses, str, dict[str, str]]]:
    running = ServiceProcesses(nats_server.url, tmp_path, extra_env={"ESCALATION_CLOCK": CLOCK, "CONSOLE_CLOCK": CLOCK,
                                                                      "ESCALATION_SWEEP_INTERVAL_SECONDS": "2",
                                                                      "CONSOLE_LIVE_POLL_SECONDS": "1"}, console=True)
    running.start_all()
    try:
        token, passwords = asyncio.run(credentials(running))
        yield running, token, passwords
    finally:
        running.stop_all()


async def credentials(running: ServiceProcesses) -> tuple[str, dict[str, str]]:
    intake = make_engine(*running.database["intake"])
    escalation = make_engine(*running.database["escalation"])
    try:
        token = await issue_token(session_factory(intake), COUNTY, "browser test")
        passwords = {}
        for login, role, department in (("zrzy", "department", "自然资源局"), ("office", "office", None)):
            _, passwords[login] = await add_person(session_factory(escalation), COUNTY, login, f"{login}同志", role, department)
        return token, passwords
    finally:
        await intake.dispose()
        await escalation.dispose()


@pytest.fixture
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--lang=zh-CN"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_window_size(*SIZES["desktop"])
    yield driver
    driver.quit()


def wait_until(check: Callable[[], Any], timeout: float = 60, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = check()
            if found:
                return found
        except Exception:  # the element is being swapped by htmx: look again
            if time.monotonic() > deadline:
                raise
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


def shoot(driver: Any, name: str, sizes: tuple[str, ...] = ("desktop", "phone")) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for size in sizes:
        width, least_height = SIZES[size]
        driver.set_window_size(width, least_height)
        wait_until(lambda width=width: driver.execute_script("return window.innerWidth") == width, 10, f"the {size} width")
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, min(max(height + 140, least_height), 4000))
        driver.save_screenshot(str(ARTIFACTS / f"{name}-{size}.png"))
    driver.set_window_size(*SIZES["desktop"])


def sign_in(driver: Any, url: str, login: str, password: str) -> None:
    from selenium.webdriver.common.by import By

    driver.delete_all_cookies()
    driver.get(f"{url}/login")
    driver.find_element(By.ID, "login").send_keys(login)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "signin").click()
    wait_until(lambda: driver.find_elements(By.ID, "colours"), what="the overview after signing in")


def post(intake_url: str, token: str, items: list[dict[str, Any]]) -> None:
    response = httpx.post(f"{intake_url}/v1/counties/{COUNTY}/updates", json=items, headers={"Authorization": f"Bearer {token}"},
                          timeout=30, verify=client_tls())
    assert response.status_code == 202 and all(r["status"] == "accepted" for r in response.json()["results"]), response.text


def test_a_department_works_its_case_and_the_office_sees_it_move(system, browser) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    running, token, passwords = system
    console = running.url("console")
    post(running.url("intake"), token, red_project() + others())

    sign_in(browser, console, "zrzy", passwords["zrzy"])

    def red_listed() -> bool:
        browser.get(f"{console}/projects")
        return "城西科创产业园" in browser.page_source and "row-red" in browser.page_source
    wait_until(red_listed, what="the red project in the department's list")
    assert "三墩数字港" not in browser.page_source  # nothing of it was routed to 自然资源局
    Select(browser.find_element(By.ID, "f-colour")).select_by_value("red")
    browser.find_element(By.ID, "apply-filters").click()
    wait_until(lambda: "colour=red" in browser.current_url, what="the filtered list")
    rows = browser.find_elements(By.CSS_SELECTOR, "#project-table tbody tr")
    assert [r.get_attribute("class") for r in rows] == ["row-red"]
    shoot(browser, "list")

    browser.find_element(By.CSS_SELECTOR, "a.project-link").click()
    wait_until(lambda: browser.find_elements(By.ID, "timeline"), what="the project page")
    assert "56/80" in browser.page_source and "XH-1" in browser.page_source
    shoot(browser, "project")

    def department_case() -> Any:
        browser.refresh()
        for article in browser.find_elements(By.CSS_SELECTOR, "#alerts article"):
            if "地块XH-1b" in article.text and article.find_elements(By.CSS_SELECTOR, "a.case-link"):
                return article.find_element(By.CSS_SELECTOR, "a.case-link").get_attribute("href")
        return None
    case_url = wait_until(department_case, what="the 9-month warning's case on the project page")
    browser.get(case_url)
    browser.find_element(By.CSS_SELECTOR, "form.act-acknowledge input[name=note]").send_keys("已签收，正在核实交地情况")
    browser.find_element(By.CSS_SELECTOR, "form.act-acknowledge button").click()
    wait_until(lambda: browser.find_elements(By.CSS_SELECTOR, "form.act-reply"), what="the reply form after acknowledging")
    assert "已签收" in browser.find_element(By.CSS_SELECTOR, "article.case-card .case-state").text
    browser.find_element(By.CSS_SELECTOR, "form.act-reply textarea[name=explanation]").send_keys("土地交付延误，已协调")
    browser.find_element(By.CSS_SELECTOR, "form.act-reply textarea[name=remedy_plan]").send_keys("三月底前完成交地并动工")
    browser.find_element(By.CSS_SELECTOR, "form.act-reply button").click()
    wait_until(lambda: "已反馈" in browser.find_element(By.CSS_SELECTOR, "article.case-card .case-state").text, what="the replied case")
    case_id = case_url.rsplit("/", 1)[-1]
    browser.get(f"{console}/cases")
    shoot(browser, "cases-department")

    sign_in(browser, console, "office", passwords["office"])
    shoot(browser, "overview")
    browser.get(f"{console}/cases?all=1")
    card = browser.find_element(By.ID, f"case-{case_id}")
    assert "已反馈" in card.text and card.find_elements(By.CSS_SELECTOR, "form.act-review")
    shoot(browser, "cases-office")
    for page in ("rankings", "idle-land"):
        browser.get(f"{console}/{page}")
        shoot(browser, page)

    browser.get(f"{console}/projects/{case_project(browser, console, case_id)}")
    browser.execute_script("window.stillTheSamePage = 42")
    before = len(browser.find_elements(By.CSS_SELECTOR, "#alerts article"))
    post(running.url("intake"), token, [item(1, "c", land_parcel={"parcel_id": "XH-1c", "agreed_start_date": "2025-03-01"})])
    wait_until(lambda: "地块XH-1c" in browser.find_element(By.ID, "alerts").text, timeout=60, what="the new escalation, live")
    assert browser.execute_script("return window.stillTheSamePage") == 42  # it came in without a reload
    assert len(browser.find_elements(By.CSS_SELECTOR, "#alerts article")) == before + 1
    shoot(browser, "project-live", ("desktop",))


def case_project(browser: Any, console: str, case_id: str) -> str:
    from selenium.webdriver.common.by import By

    browser.get(f"{console}/cases/{case_id}")
    href = browser.find_element(By.CSS_SELECTOR, "article.case-card p a").get_attribute("href")
    return href.rsplit("/", 1)[-1]


def evil_site(page: str) -> tuple[str, Callable[[], None]]:
    """Another origin (127.0.0.1, another port: the same site to the browser, so its cookies go along)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            body = page.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
    return f"http://127.0.0.1:{server.server_address[1]}", stop


def case_state(escalation: str, login: str, password: str, case_id: str) -> str:
    token = httpx.post(f"{escalation}/api/login", json={"login": login, "password": password}, timeout=30).json()["token"]
    case = httpx.get(f"{escalation}/api/cases/{case_id}", headers={"Authorization": f"Bearer {token}"}, timeout=30,
                     verify=client_tls()).json()
    return str(case["case"]["state"])


def test_a_page_from_another_origin_cannot_act_on_a_case(system, browser) -> None:
    from selenium.webdriver.common.by import By

    running, token, passwords = system
    console = running.url("console")
    post(running.url("intake"), token, red_project())
    sign_in(browser, console, "zrzy", passwords["zrzy"])

    def open_case() -> str | None:
        browser.get(f"{console}/cases")
        forms = browser.find_elements(By.CSS_SELECTOR, "form.act-acknowledge")
        return forms[0].get_attribute("action").rsplit("/", 2)[-2] if forms else None
    case_id = wait_until(open_case, what="a case to acknowledge")
    # The attacker's page posts the console's own form, with everything but the session's CSRF token.
    url, stop = evil_site(f"""<!doctype html><form method="post" action="{console}/cases/{case_id}/acknowledge">
        <input name="note" value="伪造签收"><input name="back" value="/cases"></form>
        <script>document.forms[0].submit()</script>""")
    try:
        browser.get(url)
        wait_until(lambda: browser.current_url.startswith(console), what="the forged post to land")
        assert "403" in browser.title or "refused" in browser.page_source, browser.page_source[:500]
    finally:
        stop()
    assert case_state(running.url("escalation"), "zrzy", passwords["zrzy"], case_id) == "opened"

    # The console's own page still acts (htmx sends the token; the CSP lets the vendored script run, nothing inline).
    browser.get(f"{console}/cases/{case_id}")
    browser.find_element(By.CSS_SELECTOR, "form.act-acknowledge button").click()
    wait_until(lambda: "已签收" in browser.find_element(By.CSS_SELECTOR, "article.case-card .case-state").text, what="the real acknowledge")
    assert case_state(running.url("escalation"), "zrzy", passwords["zrzy"], case_id) == "acknowledged"
    violations = [e["message"] for e in browser.get_log("browser") if "Content Security Policy" in e["message"] and console in e["message"]]
    assert violations == []
