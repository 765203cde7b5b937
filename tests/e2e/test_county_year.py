"""A year of a simulated county, end to end, with the business clock stepping twice a month.

Real processes (intake, tracker, escalation, notifier on a real nats-server, SQLite). Each step posts
the county's records of the month through intake like its systems would, waits until every consumer
has drained, then restarts escalation with its fixed clock at the next step: the restart sweeps (cases
climb, land becomes idle) and, on the first of a month, publishes last month's bulletin. People act on
their cases through escalation's API under their own tokens. The test checks the cases raised, climbed
and closed, the deliveries, and the December bulletin's figures against values it computes itself
from the scripted facts.
"""
from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from sqlalchemy import select

from services.escalation.cases.people import add_person
from services.escalation.tables import bulletins
from services.intake.tokens import issue_token
from services.launcher import ServiceProcesses as Pipeline
from services.notifier.tables import deliveries
from shared import subjects
from shared.db import make_engine, session_factory
from shared.service_token import bearer
from shared.tls import client_tls

# A year of sweeps over real processes: ~80 s alone, more beside other xdist workers on a loaded 2-core box.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]
COUNTY = "330106"
YEAR = 2026


@dataclass
class Project:
    """One scripted project: its facts and, by date, what happens to it."""

    n: int
    name: str
    start_planned: date | None = None
    start_actual: date | None = None
    annual_plan_wan: int = 0  # 万元 for the year; monthly ledgers on the time-proportional curve × pace
    pace: Fraction = Fraction(1)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return f"2601-{COUNTY}-04-01-{self.n:06d}"

    def started_by(self, day: date) -> bool:
        return self.start_actual is not None and self.start_actual <= day


PROJECTS = [
    # Land agreed to start 2025-06-15 and never started: warned at 9 and 11 months, idle from 2026-06-16.
    Project(1, "西湖文旅综合体", extra={"land_parcel": {"parcel_id": "XH-A1", "agreed_start_date": "2025-06-15",
                                                    "land_price_fen": 30_000_000_00}}),
    # Government-funded, started last year; its cost runs 25% over budget in April, approved in June.
    Project(2, "三墩污水处理厂扩建", date(2025, 10, 1), date(2025, 10, 15), annual_plan_wan=12_000,
            extra={"government_funded": True, "budget_fen": 100_000_000_00}),
    # Started in February; its construction permit (blocked by 区住建局) is due 04-30 and granted 07-10.
    Project(3, "紫金港科创园二期", date(2026, 2, 1), date(2026, 2, 20), annual_plan_wan=6_000),
    Project(4, "转塘智能制造基地", date(2026, 3, 1), date(2026, 3, 20), annual_plan_wan=9_600, pace=Fraction(1, 2)),
    Project(5, "蒋村未来社区", date(2026, 5, 1), date(2026, 6, 10), annual_plan_wan=2_400),
    Project(6, "双浦物流园", date(2026, 8, 1)),  # never starts
    Project(7, "留下街道安置房", date(2026, 10, 1), date(2026, 9, 25), annual_plan_wan=3_600),
    Project(8, "云栖数据中心", date(2027, 3, 1)),  # planned for next year: not in this year's 开工率
    Project(9, "灵隐景区提升", date(2026, 11, 15)),  # not started by year end
]
PERMIT_DUE, PERMIT_DONE = date(2026, 4, 30), date(2026, 7, 10)


def month_end(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1)) - timedelta(days=1)


def ledger_ytd_fen(p: Project, month: int) -> int:
    """Investment to the end of `month`: the time-proportional plan (序时进度) × the project's pace, in fen."""
    return int(p.annual_plan_wan * 10_000_00 * Fraction(month, 12) * p.pace)


def record(p: Project, month: int) -> dict[str, Any]:
    """What the county's systems report for a project at the end of `month`."""
    end = month_end(YEAR, month)
    started = p.started_by(end)
    item: dict[str, Any] = {
        "project_code": p.code, "name": p.name, "stage": "started" if started else "signed", "nature": "new",
        "leader": "陈立新", "lead_department": "区发改局", "responsible_unit": f"{p.name}建设指挥部", "township": "西湖街道",
        "total_investment_fen": 500_000_000_00, "source_system": "区发改局重点项目台账", "source_record_id": f"{p.code}-{month:02d}",
        "source_record_time": f"{end.isoformat()}T12:00:00+08:00",
        **p.extra,
    }
    milestones = []
    if p.start_planned:
        start = {"name": "开工", "planned": p.start_planned.isoformat()}
        if started:
            start["actual"] = p.start_actual.isoformat()
            item["stats_enrolled_on"] = (p.start_actual + timedelta(days=10)).isoformat()
        milestones.append(start)
    if p.n == 3:
        permit = {"name": "施工许可", "planned": PERMIT_DUE.isoformat(), "blocking_department": "区住建局"}
        if PERMIT_DONE <= end:
            permit["actual"] = PERMIT_DONE.isoformat()
        milestones.append(permit)
    if milestones:
        item["milestones"] = milestones
    if p.annual_plan_wan and started:
        item["annual_plan_fen"] = p.annual_plan_wan * 10_000_00
        item["ledger"] = [{"month": f"{YEAR}-{month:02d}", "ytd_fen": ledger_ytd_fen(p, month)}]
    if p.n == 2:
        item["committed_cost_fen"] = 125_000_000_00 if month >= 4 else 90_000_000_00
        if month >= 6:
            item["overrun_approval"] = {"approved": True, "approved_on": "2026-06-20", "reference": "西政发〔2026〕18号"}
    return item


def progress_report(p: Project, day: date) -> dict[str, Any] | None:
    """Mid-month, a started project reports its 形象进度: the ledger is alive between month ends."""
    if not p.started_by(day):
        return None
    return {"project_code": p.code, "ledger": [{"month": f"{YEAR}-{day.month:02d}", "progress": f"{day.month}月上旬：主体施工"}],
            "source_system": "区发改局重点项目台账", "source_record_id": f"{p.code}-{day.isoformat()}",
            "source_record_time": f"{(day - timedelta(days=1)).isoformat()}T18:00:00+08:00"}


def steps() -> list[date]:
    """The 1st and the 16th of every month from February, then New Year's Day (when December is reported)."""
    return [date(YEAR, m, d) for m in range(2, 13) for d in (1, 16)] + [date(YEAR + 1, 1, 1)]


@pytest.fixture
def pipeline(nats_server, tmp_path: Path) -> Iterator[Pipeline]:
    running = Pipeline(nats_server.url, tmp_path, extra_env={
        "ESCALATION_CLOCK": "fixed:2026-01-31T09:00:00+08:00", "ESCALATION_SWEEP_INTERVAL_SECONDS": "3600",
    })
    running.start_all()
    yield running
    running.stop_all()


async def drained(nats_url: str, timeout: float = 60) -> None:
    """Every durable has nothing pending or in flight: what was posted has gone all the way through."""
    durables = [(subjects.UPDATES.name, subjects.TRACKER_ON_PROJECT_UPDATED), (subjects.PROJECTS.name, subjects.ESCALATION_ON_PROJECT_CHANGED),
                (subjects.ESCALATIONS.name, subjects.NOTIFIER_ON_ESCALATION), (subjects.CASES.name, subjects.NOTIFIER_ON_CASE),
                (subjects.COORDINATION.name, subjects.NOTIFIER_ON_COORDINATION)]
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            infos = [await js.consumer_info(stream, durable) for stream, durable in durables]
            if all(i.num_pending == 0 and i.num_ack_pending == 0 for i in infos):
                return
            assert asyncio.get_running_loop().time() < deadline, f"not drained: {[(i.name, i.num_pending, i.num_ack_pending) for i in infos]}"
            await asyncio.sleep(0.2)
    finally:
        await nc.close()


async def restart_escalation_at(pipeline: Pipeline, day: date) -> None:
    """Stop escalation (gracefully) and start it with its clock on `day`; it sweeps once on start."""
    process = pipeline.processes["escalation"]
    process.send_signal(signal.SIGTERM)
    await asyncio.to_thread(process.wait, 40)
    pipeline.extra_env["ESCALATION_CLOCK"] = f"fixed:{day.isoformat()}T09:00:00+08:00"
    await asyncio.to_thread(pipeline.start, "escalation")
    async with httpx.AsyncClient(base_url=pipeline.url("escalation"), timeout=10, verify=client_tls()) as client:
        for _ in range(600):
            metrics = (await client.get("/metrics/")).text
            swept = [line for line in metrics.splitlines() if line.startswith("escalation_last_sweep_timestamp_seconds ")]
            if swept and float(swept[0].split()[1]) > 0:
                return
            await asyncio.sleep(0.1)
        sweep_lines = [line for line in metrics.splitlines() if "sweep" in line and not line.startswith("#")]
    raise AssertionError(f"escalation did not sweep as of {day}: {sweep_lines}\n{pipeline.log_tail('escalation')}")


async def setup_people(pipeline: Pipeline) -> tuple[str, dict[str, str]]:
    intake_engine = make_engine(*pipeline.database["intake"])
    escalation_engine = make_engine(*pipeline.database["escalation"])
    try:
        county_token = await issue_token(session_factory(intake_engine), COUNTY, "year")
        sessions = session_factory(escalation_engine)
        people = {
            "office": (await add_person(sessions, COUNTY, "xh-office", "周敏", "office"))[1],
            "housing": (await add_person(sessions, COUNTY, "xh-zjj", "吴刚", "department", "区住建局"))[1],
        }
        return county_token, people
    finally:
        await intake_engine.dispose()
        await escalation_engine.dispose()


class Api:
    def __init__(self, client: httpx.AsyncClient, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    async def cases(self, **params: Any) -> list[dict[str, Any]]:
        response = await self.client.get("/api/cases", params=params, headers=self.headers)
        assert response.status_code == 200, response.text
        return response.json()["cases"]

    async def case(self, case_id: str) -> dict[str, Any]:
        return (await self.client.get(f"/api/cases/{case_id}", headers=self.headers)).json()

    async def act(self, case_id: str, action: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.client.post(f"/api/cases/{case_id}/{action}", json=body, headers=self.headers)
        assert response.status_code == 200, f"{action} on {case_id}: {response.status_code} {response.text}"
        return response.json()


async def people_act(pipeline: Pipeline, tokens: dict[str, str], day: date) -> None:
    """区住建局 answers what is asked of it at once; the office reviews answers and closes what is resolved."""
    async with httpx.AsyncClient(base_url=pipeline.url("escalation"), timeout=30, verify=client_tls()) as client:
        housing, office = Api(client, tokens["housing"]), Api(client, tokens["office"])
        for case in await housing.cases():  # it sees the cases it is told of; it answers those asked of it
            if case["target_name"] != "区住建局" and (case["letter"] or {}).get("handler_department") != "区住建局":
                continue
            if case["state"] == "opened":
                await housing.act(case["case_id"], "acknowledge", {"note": f"{day} 已签收"})
                case["state"] = "acknowledged"
            if case["state"] == "acknowledged":
                await housing.act(case["case_id"], "reply", {"explanation": "施工许可待消防审查意见", "remedy_plan": "7月10日前办结"})
        for case in await office.cases():
            detail = await office.case(case["case_id"])
            resolved = detail["escalation"]["status"] != "open"
            if case["state"] == "replied" and resolved:
                await office.act(case["case_id"], "review", {"accepted": True, "note": "条件已消除，复核通过"})
                await office.act(case["case_id"], "close", {"note": "办结"})


async def test_a_year_of_a_county(pipeline: Pipeline, nats_server) -> None:
    county_token, tokens = await setup_people(pipeline)
    intake = httpx.AsyncClient(base_url=pipeline.url("intake"), headers={"Authorization": f"Bearer {county_token}"}, timeout=60)
    try:
        for step in steps():
            await restart_escalation_at(pipeline, step)  # the day begins with the sweep
            if step.day == 1:  # then the county's systems report the month just ended
                items = [record(p, step.month - 1 or 12) for p in PROJECTS]
            else:
                items = [item for p in PROJECTS if (item := progress_report(p, step))]
            response = await intake.post(f"/v1/counties/{COUNTY}/updates", json=items)
            assert response.status_code == 202, response.text
            assert response.json()["accepted"] == len(items), response.text
            await drained(nats_server.url)
            await people_act(pipeline, tokens, step)
        await drained(nats_server.url)
    finally:
        await intake.aclose()

    async with httpx.AsyncClient(base_url=pipeline.url("escalation"), timeout=30, verify=client_tls()) as client:
        office = Api(client, tokens["office"])
        cases = {c["case_id"]: await office.case(c["case_id"]) for c in await office.cases()}
        check_cases(cases)
        referred = (await client.get("/api/referrals", headers=office.headers)).json()["referrals"]
        assert sorted(r["target_name"] for r in referred) == ["区纪委监委", "审计局"]
        assert {r["pack"]["figures"]["overrun_fen"] for r in referred} == {str(25_000_000_00)}
        response = await client.post(f"/internal/counties/{COUNTY}/bulletins/{YEAR}-12", headers=bearer(pipeline.service_token))
        assert response.status_code == 201, response.text
    await check_bulletins(pipeline, list(cases.values()))
    await check_deliveries(pipeline, cases)


def actions(detail: dict[str, Any], name: str) -> list[dict[str, Any]]:
    return [a for a in detail["actions"] if a["action"] == name]


def of(cases: dict[str, dict[str, Any]], name: str, rule_prefix: str, about: str = "") -> dict[str, Any]:
    found = [d for d in cases.values() if d["escalation"]["summary"].startswith(name) and d["case"]["rule_id"].startswith(rule_prefix)
             and about in d["escalation"]["summary"]]
    assert len(found) == 1, f"{name} {rule_prefix}: {[d['case']['rule_id'] for d in cases.values() if d['escalation']['summary'].startswith(name)]}"
    return found[0]


def check_cases(cases: dict[str, dict[str, Any]]) -> None:
    # Idle land: warned in March, idle from 06-16, nobody answers: the case climbs one level at a time to L5,
    # which is a recommendation with its evidence pack, never a decision.
    idle = of(cases, "西湖文旅综合体", "R1.idle_land")
    assert idle["escalation"]["status"] == "open" and idle["escalation"]["level"] >= 3
    climbs = [a["ladder_level"] for a in actions(idle, "climbed")]
    assert climbs == sorted(climbs) and len(set(climbs)) == len(climbs), climbs
    assert idle["case"]["ladder_level"] == 5
    opened = actions(idle, "opened")[0]
    assert date.fromisoformat(str(opened["as_of"])) == date(2026, 3, 16), opened  # the step after 9 months
    pack = actions(idle, "climbed")[-1]["details"]["evidence_pack"]
    assert "建议" in pack["wording"] and pack["kind"] == "accountability_recommendation"
    # Idle from 06-16, the fee decision is 自然资源局's: the case's letter is handed to it, and it is told to act.
    assert idle["case"]["letter"]["handler_department"] == "自然资源局"
    [moved] = actions(idle, "retargeted")
    assert date.fromisoformat(str(moved["as_of"])) >= date(2026, 6, 16) and moved["details"]["letter_handler"] == "自然资源局"

    # Budget overrun: 25% over in April → referred to 纪委监委 and 审计局 (their own records, check_referrals), and the
    # project's case opened at L1 for the lead department (report and hold construction), not for the leader;
    # approved in June → cleared, reviewed and closed by the office.
    overrun = of(cases, "三墩污水处理厂扩建", "R2")
    assert actions(overrun, "opened")[0]["ladder_level"] == 1
    assert overrun["case"]["state"] == "closed" and overrun["escalation"]["status"] == "cleared"
    assert {a["actor_name"] for a in actions(overrun, "closed")} == {"周敏"}

    # The permit blocked by 区住建局: the case targets that department, which answers every time it is asked;
    # the permit is granted in July and the office closes the case.
    permit = of(cases, "紫金港科创园二期", "R4.milestone", "施工许可")
    assert actions(permit, "opened")[0]["details"] is not None
    assert permit["case"]["state"] == "closed"
    assert {a["actor_name"] for a in actions(permit, "replied")} >= {"吴刚"}
    assert all(a["actor_role"] in ("department", "system") for a in actions(permit, "replied"))

    # 开工 overdue and never started: still open at the year's end.
    for name in ("双浦物流园", "灵隐景区提升"):
        assert of(cases, name, "R4.milestone", "开工")["case"]["state"] != "closed"


def days_idle(as_of: date) -> int:
    return (as_of - date(2026, 6, 16)).days


async def check_bulletins(pipeline: Pipeline, cases: list[dict[str, Any]]) -> None:
    engine = make_engine(*pipeline.database["escalation"])
    try:
        async with session_factory(engine)() as session:
            rows = (await session.execute(select(bulletins).where(bulletins.c.county_code == COUNTY))).mappings().all()
    finally:
        await engine.dispose()
    # January to November came out on their own (the run on the 16th is past the publish day, the 6th);
    # December's is asked for on 1 January, before its publish day.
    assert sorted((r["month"], r["revision"]) for r in rows) == [(f"{YEAR}-{m:02d}", 1) for m in range(1, 13)]
    december = max((r for r in rows if r["month"] == f"{YEAR}-12"), key=lambda r: r["revision"])
    figures = december["figures"]
    as_of = date(YEAR, 12, 31)

    planned = [p for p in PROJECTS if p.start_planned and p.start_planned.year == YEAR]
    started = [p for p in planned if p.started_by(as_of)]
    start_rate = figures["start_rate"]
    assert (start_rate["planned"], start_rate["done"]) == (len(planned), len(started)) == (6, 4)
    assert start_rate["percent"] == percent(Fraction(len(started), len(planned)))
    assert set(start_rate["pending"]) == {p.name for p in planned if not p.started_by(as_of)}

    with_plan = [p for p in PROJECTS if p.annual_plan_wan and p.started_by(as_of)]
    plan = sum(p.annual_plan_wan * 10_000_00 for p in with_plan)
    done = sum(ledger_ytd_fen(p, 12) for p in with_plan)
    assert (figures["investment"]["annual_plan_fen"], figures["investment"]["ytd_fen"]) == (plan, done)
    assert figures["investment"]["completion_percent"] == percent(Fraction(done, plan))

    # April's referrals of the overrun, never signed for, are still listed in December.
    assert sorted((r["body"], r["acknowledged_on"]) for r in figures["referrals"]) == [("区纪委监委", None), ("审计局", None)]

    (idle,) = figures["idle_parcels"]
    assert idle["parcel"] == "XH-A1" and idle["days_idle"] in (days_idle(as_of), days_idle(as_of) + 1)

    open_cases = [c for c in cases if c["case"]["state"] != "closed"]
    assert figures["open_cases"]["total"] == len(open_cases)
    levels: dict[str, int] = {}
    for c in open_cases:
        levels[str(c["case"]["ladder_level"])] = levels.get(str(c["case"]["ladder_level"]), 0) + 1
    assert {row["key"].lstrip("L"): row["count"] for row in figures["open_cases"]["by_level"]} == levels


def percent(value: Fraction) -> str:
    """Half up to one decimal, as the bulletin prints it."""
    tenths = (value * 1000 * 2 + 1) // 2
    return f"{tenths // 10}.{tenths % 10}"


async def check_deliveries(pipeline: Pipeline, cases: dict[str, dict[str, Any]]) -> None:
    """Every climb reached its people, each delivery was recorded once and written once."""
    engine = make_engine(*pipeline.database["notifier"])
    try:
        # The delivery worker sends what the consumers planned, and December's bulletin (asked for just before) is
        # still being planned: wait until nothing is pending and the files hold what the log says was sent.
        for _ in range(300):
            async with session_factory(engine)() as session:
                rows = (await session.execute(select(deliveries.c.delivery_key, deliveries.c.escalation_event_id, deliveries.c.status))).all()
            written = written_delivery_keys(pipeline)
            if all(status != "pending" for _, _, status in rows) and set(written) == {key for key, _, _ in rows}:
                break
            await asyncio.sleep(0.2)
    finally:
        await engine.dispose()
    assert {status for _, _, status in rows} == {"sent"}
    sent_for = {event_id for _, event_id, _ in rows}
    for detail in cases.values():
        for climb in actions(detail, "climbed"):
            assert climb["event_id"] in sent_for, f"no delivery of the climb to L{climb['ladder_level']} of {detail['case']['case_id']}"
    assert len(written) == len(set(written)), "a delivery was written twice"
    assert set(written) == {key for key, _, _ in rows}


def written_delivery_keys(pipeline: Pipeline) -> list[str]:
    """The delivery key of every message the file channel wrote, once per line written."""
    return [json.loads(line)["delivery_key"] for f in (pipeline.workdir / "var" / "notifier" / "outbox").rglob("*.jsonl")
            for line in f.read_text(encoding="utf-8").splitlines()]
