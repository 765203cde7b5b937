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
