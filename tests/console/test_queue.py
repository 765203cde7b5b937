"""Who must act: the overview's must-act list, the queue's totals and pages, mine first, and only the actions a person may take."""
from __future__ import annotations

import itertools
import re
import uuid
from datetime import date, timedelta
from typing import Any

from services.console import escalation_api
from services.console.permissions import may
from services.console.projection.alerts import apply_case_events, apply_escalation_events
from services.console.projection.projects import apply_project_changes
from services.console.viewer import Viewer
from services.escalation.cases.access import may_act
from services.escalation.cases.people import Person
from shared.contracts import CaseChanged, Recipient
from tests.console.conftest import NOW
from tests.console.support import AT, esc_id, escalation, pid, project_changed

TODAY = date(2026, 3, 2)


def case_event(n: int, due: date, level: int, target: tuple[str, str], state: str = "opened") -> CaseChanged:
    kind, name = target
    return CaseChanged(event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"q-{n}"), occurred_at=AT, county_code="330106", correlation_id="c",
                       case_id=uuid.uuid5(uuid.NAMESPACE_URL, f"case-{n}"), escalation_id=esc_id(n), project_id=pid(n),
                       rule_id="R1.idle_land", action="opened", state=state, ladder_level=level, level_name=f"L{level}",
                       due_on=due, target_kind=kind, target_name=name, recipients=(Recipient(kind=kind, name=name),), summary="督办")


def api_row(event: CaseChanged, letter_handler: str | None = None) -> dict[str, Any]:
    return {"case_id": str(event.case_id), "escalation_id": str(event.escalation_id), "project_id": str(event.project_id),
            "county_code": "330106", "rule_id": event.rule_id, "state": event.state.value, "ladder_level": event.ladder_level,
            "level_name": event.level_name, "target_kind": event.target_kind, "target_name": event.target_name,
            "due_on": event.due_on.isoformat() if event.due_on else None, "exception": None,
            "letter": {"number": "西湖重点办督〔2026〕1号", "handler_department": letter_handler, "deadline": "2026-03-09"} if letter_handler else None}


async def seed_cases(console: Any, specs: list[tuple[int, int, int, tuple[str, str]]]) -> None:
    """(project n, days from today to due, ladder level, (target kind, name)); the project's escalation is red from L2."""
    await apply_project_changes(console.sessions, [project_changed(n, name=f"项目{n}号") for n, *_ in specs], NOW)
    await apply_escalation_events(console.sessions, [escalation(n, "raised", level + 1, colour="red" if level >= 2 else "yellow",
                                                                departments=(target[1],)) for n, _, level, target in specs], NOW)
    events = [case_event(n, TODAY + timedelta(days=days), level, target) for n, days, level, target in specs]
    await apply_case_events(console.sessions, events, NOW)
    for event in events:
        console.escalation.cases[str(event.case_id)] = api_row(event)


async def test_the_overview_lists_who_must_act_most_urgent_first_leaders_apart(console) -> None:
    await seed_cases(console, [(1, -3, 1, ("department", "自然资源局")), (2, -10, 1, ("department", "住建局")),
                               (3, 5, 2, ("leader", "陈立新")), (4, 5, 1, ("department", "发改局")),  # yellow and not due: not listed
                               (5, 2, 2, ("department", "自然资源局"))])
    page = (await (await console.signed_in("office")).get("/")).text
    departments = page[page.index('id="must-act-departments"'):page.index('id="must-act-leaders"')]
    leaders = page[page.index('id="must-act-leaders"'):]
    order = [departments.index(name) for name in ("项目2号", "项目1号", "项目5号")]
    assert order == sorted(order) and "项目4号" not in departments  # 10 days overdue, 3 days overdue, then red not yet due
    assert "逾期10天" in departments and "住建局" in departments
    assert "项目3号" in leaders and "陈立新" in leaders and "项目3号" not in departments


async def test_the_queue_has_totals_and_pages(console) -> None:
    await seed_cases(console, [(n, n - 30, 1, ("department", "自然资源局")) for n in range(1, 61)])
    office = await console.signed_in("office")
    first = (await office.get("/cases")).text
    assert "共60件" in first and "第1/3页" in first and first.count('class="case-card') == 25
    assert "已逾期 29" in first  # due before today: projects 1…29
    last = (await office.get("/cases?page=3")).text
    assert last.count('class="case-card') == 10 and "第3/3页" in last and 'rel="next"' not in last
    assert (await office.get("/cases?page=99")).status_code == 200  # past the end: the last page


async def test_the_queue_asks_for_the_open_cases_and_says_when_escalation_holds_more(console, monkeypatch) -> None:
    await seed_cases(console, [(n, n, 1, ("department", "自然资源局")) for n in range(1, 31)])
    for n in (1, 2):
        console.escalation.cases[str(case_event(n, TODAY, 1, ("department", "自然资源局")).case_id)]["state"] = "closed"
    office = await console.signed_in("office")
    queue = (await office.get("/cases")).text
    assert "共28件" in queue and 'id="list-cut"' not in queue
    assert "共2件" in (await office.get("/cases?state=closed")).text
    monkeypatch.setattr(escalation_api, "LIST_MOST", 20)  # escalation's largest page, met
    cut = (await office.get("/cases")).text
    assert "共20件" in cut and "只列出期限最近的20条" in cut


async def test_a_department_sees_its_cases_first_and_no_button_it_may_not_press(console) -> None:
    await seed_cases(console, [(1, 3, 1, ("department", "住建局")), (2, 1, 1, ("department", "自然资源局")),
                               (3, 2, 2, ("leader", "陈立新"))])
    # The leader's letter names 自然资源局 as its handler: it signs and answers that one too.
    console.escalation.cases[str(case_event(3, TODAY, 2, ("leader", "陈立新")).case_id)]["letter"] = {"handler_department": "自然资源局"}
    land = await console.signed_in("zrzy")
    mine = (await land.get("/cases")).text
    cards = re.findall(r'id="case-([0-9a-f-]+)"', mine)
    assert cards == [str(uuid.uuid5(uuid.NAMESPACE_URL, f"case-{n}")) for n in (2, 3)]  # its own, then the letter it handles
    assert mine.count("act-acknowledge") == 2
    everything = (await land.get("/cases?all=1")).text
    assert "项目1号" not in everything  # escalation shows a department only what names it

def test_the_console_offers_exactly_what_escalation_allows() -> None:
    """Every role, department or leader name, target and letter handler, and action: the page and escalation agree."""
    roles, names = ["office", "leader", "department", "readonly"], ["自然资源局", "陈立新", None]
    targets = [("department", "自然资源局"), ("leader", "陈立新"), ("office", "县重点项目办")]
    actions = ["acknowledge", "reply", "exception", "review", "close", "reopen", "exception/decision"]
    for role, department, target, handler, action in itertools.product(roles, names, targets, [None, "自然资源局"], actions):
        person = Person("p", "330106", "x", "陈立新" if role == "leader" else "某同志", role, department)
        viewer = Viewer("p", "330106", "x", person.name, role, department, "t")
        case = {"target_kind": target[0], "target_name": target[1], "letter": {"handler_department": handler} if handler else None}
        assert may(viewer, case, action) == may_act(person, case, action.replace("/", "_")), (role, department, target, handler, action)


async def test_the_project_list_comes_in_pages_with_its_total(console) -> None:
    await apply_project_changes(console.sessions, [project_changed(n, name=f"项目{n:03d}号", stage="started") for n in range(1, 121)], NOW)
    office = await console.signed_in("office")
    first = (await office.get("/projects?stage=started")).text
    assert "共 120 个项目" in first and "第1/3页" in first and first.count('class="project-link"') == 50
    assert "项目001号" in first and "项目051号" not in first
    last = (await office.get("/projects?stage=started&page=3")).text
    assert last.count('class="project-link"') == 20 and "项目120号" in last and 'rel="next"' not in last
    assert "/projects?stage=started&page=2" in last  # the filter stays on the other pages
