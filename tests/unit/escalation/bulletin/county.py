"""A hand-built county of 14 projects with known facts, escalations, cases and letters, for the bulletin tests.

Each project row carries, by hand, what the bulletin must conclude about it (started, expected
to start, completed, in production): the tests compute the expected rates from these labels.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from services.escalation.domain.facts import LedgerEntry, MilestoneFact, ProjectFacts

COUNTY = "330106"
MONTH = "2026-06"
AS_OF = date(2026, 6, 30)
D = date


@dataclass(frozen=True)
class Row:
    pid: str
    unit: str
    township: str
    stage: str
    start: tuple[date | None, date | None] | None  # 开工 (planned, actual)
    permit: tuple[date, date | None] | None  # 施工许可 (planned, actual), a step before 开工
    done: tuple[date, date | None] | None  # 竣工
    production: tuple[date, date | None] | None  # 投产
    plan_wan: int | None  # annual plan, 万元
    ytd_wan: int | None  # year to date at June, 万元
    # labels, by hand:
    counts_started: bool
    expected: bool  # not started, on schedule to start this year
    completed: bool
    producing: bool


ROWS = (
    Row("p01", "住建局", "留下街道", "started", (D(2026, 3, 1), D(2026, 3, 5)), None, None, None, 1000, 600, True, False, False, False),
    Row("p02", "住建局", "留下街道", "started", (D(2026, 4, 1), D(2026, 4, 20)), None, None, None, 1200, 300, True, False, False, False),
    Row("p03", "住建局", "转塘街道", "signed", (D(2026, 9, 1), None), (D(2026, 7, 15), None), None, None, 800, 0, False, True, False, False),
    # permit overdue (planned 2026-05-01, not done): at risk
    Row("p04", "交通局", "转塘街道", "signed", (D(2026, 10, 1), None), (D(2026, 5, 1), None), None, None, 500, 0, False, False, False, False),
    # start itself overdue: at risk
    Row("p05", "交通局", "转塘街道", "signed", (D(2026, 5, 15), None), None, None, None, 600, 100, False, False, False, False),
    # permit done, start later this year: expected
    Row("p06", "交通局", "蒋村街道", "signed", (D(2026, 11, 1), None), (D(2026, 5, 1), D(2026, 4, 28)), None, None, None, None,
        False, True, False, False),
    # started per milestone actual though stage not updated
    Row("p07", "科技局", "蒋村街道", "signed", (D(2026, 2, 1), D(2026, 2, 10)), None, None, None, 2000, 1000, True, False, False, False),
    # cancelled: counts nowhere
    Row("p08", "科技局", "蒋村街道", "cancelled", (D(2026, 6, 1), None), None, None, None, None, None, False, False, False, False),
    # started last year, completion planned this year and done
    Row("p09", "科技局", "留下街道", "completed", (D(2025, 3, 1), D(2025, 3, 1)), None, (D(2026, 5, 1), D(2026, 5, 20)), None,
        3000, 1500, False, False, True, False),
    # completion planned this year, not yet
    Row("p10", "文旅局", "留下街道", "started", (D(2025, 6, 1), D(2025, 6, 2)), None, (D(2026, 12, 1), None), None,
        1000, 100, False, False, False, False),
    # production planned and reached this year
    Row("p11", "文旅局", "转塘街道", "in_production", (D(2024, 1, 1), D(2024, 1, 1)), None, (D(2025, 6, 1), D(2025, 6, 1)),
        (D(2026, 3, 1), D(2026, 3, 1)), 400, 200, False, False, False, True),
    # production planned this year, not reached; start planned next year does not count
    Row("p12", "文旅局", "转塘街道", "started", (D(2025, 1, 1), D(2025, 1, 5)), None, (D(2026, 1, 1), D(2026, 1, 10)),
        (D(2026, 10, 1), None), None, None, False, False, True, False),
    Row("p13", "住建局", "蒋村街道", "signed", (D(2027, 3, 1), None), None, None, None, None, None, False, False, False, False),
    # started before as-of per stage, 开工 actual in the future is not used; planned this year
    Row("p14", "住建局", "蒋村街道", "started", (D(2026, 6, 1), None), None, None, None, 100, 50, True, False, False, False),
)


def _milestones(row: Row) -> tuple[MilestoneFact, ...]:
    found = []
    for name, pair in (("开工", row.start), ("施工许可", row.permit), ("竣工", row.done), ("投产", row.production)):
        if pair is not None:
            found.append(MilestoneFact(name=name, planned=pair[0], actual=pair[1]))
    return tuple(found)


def facts(row: Row) -> ProjectFacts:
    ledger = (LedgerEntry(month=MONTH, ytd_fen=row.ytd_wan * 1_000_000),) if row.ytd_wan is not None else ()
    return ProjectFacts(project_id=row.pid, name=f"项目{row.pid}", county_code=COUNTY, responsible_unit=row.unit, township=row.township,
                        stage=row.stage, milestones=_milestones(row), annual_plan_fen=row.plan_wan * 1_000_000 if row.plan_wan else None,
                        ledger=ledger, leader="陈立新", lead_department="发改局")


PROJECTS = [(facts(row), row.pid) for row in ROWS]
AT = datetime(2026, 1, 1, tzinfo=UTC)


def escalation(eid: str, pid: str, rule: str, level: int, status: str = "open", evidence: dict[str, str] | None = None,
               opened: datetime = AT, cleared: datetime | None = None, subject: str = "s") -> dict[str, Any]:
    return {"escalation_id": eid, "project_id": pid, "county_code": COUNTY, "rule_id": rule, "level": level, "level_name": f"级别{level}",
            "status": status, "subject": subject, "evidence": evidence or {}, "as_of": AS_OF, "opened_at": opened, "cleared_at": cleared}


ESCALATIONS = [
    # idle land, level 3 with days idle; and a 9-month warning (not idle yet)
    escalation("e1", "p04", "R1.idle_land", 3, evidence={"type": "A", "idle_since": "2026-03-02", "days_idle": "121"}, subject="parcel:XH-1"),
    escalation("e2", "p05", "R1.idle_land", 1, evidence={"type": "A"}, subject="parcel:XH-2"),
    # cleared reds: 10 and 31 days and 40 days (a case's red_since overrides the opening); a cleared yellow does not count
    escalation("e3", "p01", "R2.budget_overrun", 1, "cleared", opened=datetime(2026, 2, 1, 1, tzinfo=UTC), cleared=datetime(2026, 2, 11, 1, tzinfo=UTC)),
    escalation("e4", "p02", "R3.central_funds", 2, "cleared", evidence={"colour": "red"}, opened=datetime(2026, 3, 1, 1, tzinfo=UTC),
               cleared=datetime(2026, 4, 1, 1, tzinfo=UTC)),
    escalation("e5", "p07", "R3.central_funds", 2, "cleared", evidence={"colour": "yellow"}, opened=datetime(2026, 3, 1, 1, tzinfo=UTC),
               cleared=datetime(2026, 4, 1, 1, tzinfo=UTC)),
    escalation("e6", "p09", "R1.idle_land", 3, "cleared", opened=datetime(2026, 1, 1, 1, tzinfo=UTC), cleared=datetime(2026, 5, 1, 1, tzinfo=UTC)),
]


def case(cid: str, pid: str, eid: str, state: str, level: int, target: str, opened: date, due: date | None,
         letter: dict[str, str] | None = None, red_since: date | None = None) -> dict[str, Any]:
    return {"case_id": cid, "escalation_id": eid, "project_id": pid, "county_code": COUNTY, "rule_id": "R1.idle_land", "state": state,
            "ladder_level": level, "target_kind": "department", "target_name": target, "due_on": due, "letter": letter,
            "red_since": red_since, "opened_on": opened}


CASES = [
    case("c1", "p04", "e1", "opened", 2, "自然资源局", D(2026, 6, 3), D(2026, 6, 20), {"deadline": "2026-06-20"}),  # overdue, letter not answered
    case("c2", "p05", "e2", "acknowledged", 1, "交通局", D(2026, 6, 10), D(2026, 7, 10)),
    case("c3", "p01", "e3", "closed", 1, "住建局", D(2026, 5, 2), D(2026, 5, 9), {"deadline": "2026-05-20", "issued_on": "2026-05-02"}),
    case("c4", "p09", "e6", "replied", 3, "自然资源局", D(2026, 5, 20), D(2026, 6, 1), {"deadline": "2026-06-01"}, red_since=D(2026, 3, 22)),
    case("c5", "p10", "e9", "opened", 1, "文旅局", D(2026, 5, 25), D(2026, 8, 1), {"deadline": "2026-08-01"}),  # letter not yet due
]
ACTIONS = [
    {"case_id": "c3", "action": "replied", "as_of": D(2026, 5, 18)},  # on time
    {"case_id": "c4", "action": "replied", "as_of": D(2026, 6, 5)},  # late
    {"case_id": "c1", "action": "acknowledged", "as_of": D(2026, 6, 4)},
]


def problem_row(qid: str, pid: str, category: str, department: str | None, opened: date, state: str, level: int, target: str,
                due: date | None, months_reported: int = 1) -> dict[str, Any]:
    return {"problem_id": qid, "county_code": COUNTY, "project_id": pid, "category": category, "description": f"问题{qid}：{category}方面的困难",
            "responsible_department": department, "state": state, "level": level, "target_name": target, "due_on": due,
            "months_reported": months_reported, "opened_on": opened}


# Problems, labelled by hand for June 2026 (as of 30 June): R raised in June, S solved in June, O overdue at the month's end,
# C climbed in June, L open more than 3 months.
PROBLEMS = [
    problem_row("q1", "p01", "用地", "自然资源局", D(2026, 2, 10), "solving", 2, "陈立新", D(2026, 6, 20), 5),  # O, L (4 months, 140 days)
    problem_row("q2", "p03", "规划", "自然资源局", D(2026, 6, 5), "raised", 1, "自然资源局", D(2026, 6, 19)),  # R, O
    problem_row("q3", "p04", "资金", "财政局", D(2026, 6, 12), "closed", 1, "财政局", None),  # R, S (solved 25th and closed 28th: once)
    problem_row("q4", "p05", "资金", "财政局", D(2026, 3, 30), "accepted", 2, "陈立新", D(2026, 7, 10)),  # C; 3 months to the day: not L
    problem_row("q5", "p06", "征迁", None, D(2026, 3, 29), "raised", 4, "区重点项目调度会", D(2026, 6, 30), 0),  # L (3 months, 93 days); due the last day: not O
    problem_row("q6", "p07", "用地", "自然资源局", D(2026, 1, 5), "closed", 1, "自然资源局", None),  # solved in May, closed in June: not S
    problem_row("q7", "p09", "审批", "住建局", D(2026, 7, 2), "raised", 1, "住建局", D(2026, 7, 16)),  # raised after the month
    problem_row("q8", "p10", "环保", "生态环境局", D(2026, 6, 15), "solving", 3, "项目推进联席会议", None),  # R; a category no longer configured
    problem_row("q9", "p11", "施工环境", "住建局", D(2026, 4, 1), "solved", 1, "住建局", None),  # reopened and solved again in June: S
]


def step(qid: str, action: str, from_state: str | None, to_state: str, on: date, kind: str = "problem") -> dict[str, Any]:
    return {"item_kind": kind, "item_id": qid, "county_code": COUNTY, "action": action, "from_state": from_state, "to_state": to_state,
            "as_of": on}


PROBLEM_STEPS = [
    step("q2", "raised", None, "raised", D(2026, 6, 5)),
    step("q3", "raised", None, "raised", D(2026, 6, 12)),
    step("q3", "solved", "accepted", "solved", D(2026, 6, 25)),
    step("q3", "closed", "solved", "closed", D(2026, 6, 28)),
    step("q4", "climbed", "accepted", "raised", D(2026, 5, 31)),  # May's climb
    step("q4", "climbed", "raised", "raised", D(2026, 6, 8)),
    step("q4", "accepted", "raised", "accepted", D(2026, 6, 9)),
    step("q6", "solved", "solving", "solved", D(2026, 5, 20)),
    step("q6", "closed", "solved", "closed", D(2026, 6, 3)),
    step("q9", "solved", "solving", "solved", D(2026, 4, 20)),
    step("q9", "closed", "solved", "closed", D(2026, 4, 25)),
    step("q9", "reopened", "closed", "accepted", D(2026, 6, 2)),
    step("q9", "solved", "accepted", "solved", D(2026, 6, 22)),
    step("x1", "closed", "verified", "closed", D(2026, 6, 10), kind="assignment"),  # an assignment's 销号 is no problem solved
]


def assignment_row(aid: str, handler: str, deadline: date, state: str, closed: date | None = None) -> dict[str, Any]:
    return {"assignment_id": aid, "county_code": COUNTY, "handler_department": handler, "deadline": deadline, "state": state,
            "closed_on": closed, "due_on": None if state == "closed" else deadline}


# Meeting assignments: due in June (deadline in June) and how each ended up.
ASSIGNMENTS = [
    assignment_row("a1", "自然资源局", D(2026, 6, 15), "closed", D(2026, 6, 15)),  # on time (the day itself)
    assignment_row("a2", "自然资源局", D(2026, 6, 20), "closed", D(2026, 6, 21)),  # closed a day late
    assignment_row("a3", "自然资源局", D(2026, 6, 30), "reported"),  # not closed yet
    assignment_row("a4", "财政局", D(2026, 6, 10), "closed", D(2026, 6, 1)),  # on time
    assignment_row("a5", "财政局", D(2026, 7, 5), "acknowledged"),  # due in July
    assignment_row("a6", "住建局", D(2026, 5, 31), "closed", D(2026, 6, 5)),  # due in May
    {**assignment_row("a7", "住建局", D(2026, 6, 1), "acknowledged"), "level": 2, "due_on": D(2026, 6, 8)},  # climbed: still the meeting's deadline
]
