"""The read model built from events: idempotent, newest wins, colours from open findings, routes for departments."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from services.console.projection.alerts import apply_case_events, apply_escalation_events
from services.console.projection.bulletins import apply_bulletins
from services.console.projection.projects import apply_project_changes
from services.console.tables import bulletins, case_events, cases, escalations, project_changes, project_routes, projects
from tests.console.conftest import NOW
from tests.console.support import AT, bulletin, case_changed, escalation, pid, project_changed


async def rows(console, table, *where):  # type: ignore[no-untyped-def]
    async with console.sessions() as session:
        return [dict(r._mapping) for r in await session.execute(select(table).where(*where))]


async def project_row(console, n: int) -> dict:  # type: ignore[no-untyped-def]
    return (await rows(console, projects, projects.c.project_id == str(pid(n))))[0]


async def test_a_replayed_batch_changes_nothing_and_an_older_version_never_wins(console) -> None:
    v1 = project_changed(1, 1, stage="signed", township="转塘街道")
    v2 = project_changed(1, 2, stage="started", township="转塘街道", record_time=AT + timedelta(days=1))
    assert await apply_project_changes(console.sessions, [v2], NOW) == 1
    assert await apply_project_changes(console.sessions, [v1, v2], NOW) == 1  # v1 is new here, v2 a replay
    row = await project_row(console, 1)
    assert (row["version"], row["stage"], row["township"]) == (2, "started", "转塘街道")
    assert len(await rows(console, project_changes)) == 2  # the change log keeps both versions, once each


async def test_one_batch_moves_every_known_project_to_its_newest_version(console) -> None:
    await apply_project_changes(console.sessions, [project_changed(n, 1, stage="signed") for n in (1, 2, 3)], NOW)
    later = AT + timedelta(days=1)
    await apply_project_changes(console.sessions, [
        project_changed(1, 2, stage="started", record_time=later), project_changed(2, 3, stage="completed", record_time=later),
        project_changed(2, 2, stage="started", record_time=later),  # older than version 3 of its batch: never wins
    ], NOW)
    assert [(r["version"], r["stage"]) for r in [await project_row(console, n) for n in (1, 2, 3)]] == [
        (2, "started"), (3, "completed"), (1, "signed")]


async def test_a_units_own_red_colours_its_project_until_it_reports_otherwise(console) -> None:
    await apply_project_changes(console.sessions, [project_changed(1, 1, self_reported_colour="red")], NOW)
    assert ((await project_row(console, 1))["colour_fresh"], (await project_row(console, 1))["colour_stale"]) == ("red", "red")
    await apply_project_changes(console.sessions, [project_changed(1, 2, self_reported_colour="green", record_time=AT + timedelta(days=1))], NOW)
    assert ((await project_row(console, 1))["colour_fresh"], (await project_row(console, 1))["colour_stale"]) == ("green", "grey")


async def test_the_filter_columns_come_from_the_snapshot(console) -> None:
    milestones = [{"name": "开工", "planned": "2026-04-01", "actual": "2026-03-01"}, {"name": "竣工", "planned": "2027-06-30"}]
    expropriation = [{"as_of": "2026-02-20", "households_total": 80, "households_signed": 30},
                     {"as_of": "2026-02-27", "households_total": 80, "households_signed": 52}]
    await apply_project_changes(console.sessions, [project_changed(
        1, nature="new", leader="陈立新", responsible_unit="住建局", total_investment_fen=12_000_000_00,
        milestones=milestones, expropriation=expropriation)], NOW)
    row = await project_row(console, 1)
    assert (row["nature"], row["leader"], row["responsible_unit"]) == ("new", "陈立新", "住建局")
    assert (str(row["start_planned"]), str(row["start_actual"]), str(row["completion_planned"])) == ("2026-04-01", "2026-03-01", "2027-06-30")
    assert (row["households_total"], row["households_signed"]) == (80, 52)  # the latest report


async def test_the_plan_beside_the_year_to_date_is_that_years(console) -> None:
    """December's ledger sent in January: its year to date stands beside 2026's plan, not 2027's already reported."""
    plans = [{"year": 2026, "plan_fen": 500_000_000}, {"year": 2027, "plan_fen": 900_000_000}]
    await apply_project_changes(console.sessions, [project_changed(
        1, ledger_month="2026-12", investment_ytd_fen=450_000_000, annual_plan_fen=900_000_000, annual_plans=plans)], NOW)
    row = await project_row(console, 1)
    assert (row["annual_plan_fen"], row["investment_ytd_fen"], row["figures_year"]) == (500_000_000, 450_000_000, 2026)


async def test_the_year_to_date_is_read_from_the_ledger(console) -> None:
    """A county that keeps its ledger month by month (no flat figures), its March sent without a year to date: the list
    shows February's year to date plus March's investment, beside the year's plan."""
    ledger = [{"month": "2026-01", "investment_fen": 30, "ytd_fen": 30}, {"month": "2026-02", "investment_fen": 30, "ytd_fen": 60},
              {"month": "2026-03", "investment_fen": 40}]
    await apply_project_changes(console.sessions, [project_changed(
        1, ledger=ledger, annual_plan_fen=1_200, annual_plans=[{"year": 2026, "plan_fen": 1_200}])], NOW)
    assert ((await project_row(console, 1))["investment_ytd_fen"], (await project_row(console, 1))["annual_plan_fen"]) == (100, 1_200)


@pytest.mark.parametrize(("events", "fresh", "stale"), [
    ([], "green", "grey"),
    ([("raised", 1), ("resolved", 1)], "green", "grey"),
    ([("raised", 1)], "yellow", "yellow"),  # a known problem outranks unknown data
    ([("raised", 3)], "red", "red"),
    ([("raised", 1), ("escalated", 3)], "red", "red"),
    ([("raised", 3), ("resolved", 3)], "green", "grey"),
])
async def test_the_colour_follows_the_open_findings(console, events, fresh, stale) -> None:
    await apply_project_changes(console.sessions, [project_changed(1)], NOW)
    for i, (kind, level) in enumerate(events):
        await apply_escalation_events(console.sessions, [escalation(1, kind, level, at=AT + timedelta(minutes=i))], NOW)
    row = await project_row(console, 1)
    assert (row["colour_fresh"], row["colour_stale"]) == (fresh, stale)


async def test_an_escalation_before_its_project_still_colours_it(console) -> None:
    await apply_escalation_events(console.sessions, [escalation(1, "raised", 3)], NOW)
    await apply_project_changes(console.sessions, [project_changed(1)], NOW)
    assert (await project_row(console, 1))["colour_fresh"] == "red"


async def test_an_escalation_resolved_then_redelivered_raise_stays_resolved(console) -> None:
    raised, resolved = escalation(1, "raised", 3, at=AT), escalation(1, "resolved", 3, at=AT + timedelta(hours=1))
    await apply_escalation_events(console.sessions, [resolved], NOW)
    await apply_escalation_events(console.sessions, [raised, resolved], NOW)
    [row] = await rows(console, escalations)
    assert row["status"] == "resolved"


async def test_two_late_escalation_events_in_one_batch_never_undo_a_newer_one(console) -> None:
    await apply_escalation_events(console.sessions, [escalation(1, "resolved", 3, at=AT + timedelta(hours=2))], NOW)
    # Both older than what is stored; the second is newer than the first, which must not make it win.
    await apply_escalation_events(console.sessions, [escalation(1, "raised", 1, at=AT), escalation(1, "escalated", 3, at=AT + timedelta(hours=1))], NOW)
    [row] = await rows(console, escalations)
    assert (row["status"], row["level"]) == ("resolved", 3)


async def test_the_evidence_colour_wins_over_the_level(console) -> None:
    await apply_escalation_events(console.sessions, [escalation(1, "raised", 1, colour="red", rule_source="闲置土地处置办法")], NOW)
    [row] = await rows(console, escalations)
    assert row["colour"] == "red" and row["evidence"]["rule_source"] == "闲置土地处置办法"


async def test_cases_keep_their_newest_state_and_every_step(console) -> None:
    opened = case_changed(1, "opened", "opened", at=AT)
    acked = case_changed(1, "acknowledged", "acknowledged", at=AT + timedelta(hours=2))
    await apply_case_events(console.sessions, [acked], NOW)
    await apply_case_events(console.sessions, [opened, acked], NOW)
    [row] = await rows(console, cases)
    assert (row["state"], row["target_name"]) == ("acknowledged", "自然资源局")
    assert sorted(r["action"] for r in await rows(console, case_events)) == ["acknowledged", "opened"]


async def test_two_late_case_events_in_one_batch_never_undo_a_newer_one(console) -> None:
    await apply_case_events(console.sessions, [case_changed(1, "acknowledged", "acknowledged", at=AT + timedelta(hours=2))], NOW)
    await apply_case_events(console.sessions, [case_changed(1, at=AT), case_changed(1, at=AT + timedelta(hours=1))], NOW)
    [row] = await rows(console, cases)
    assert row["state"] == "acknowledged"
    assert len(await rows(console, case_events)) == 3  # every step is kept, whatever the state shows


async def test_departments_are_routed_the_projects_of_their_escalations_and_cases(console) -> None:
    await apply_escalation_events(console.sessions, [escalation(1, departments=("自然资源局", "发改局"))], NOW)
    await apply_case_events(console.sessions, [case_changed(2, target="住建局"), case_changed(1, target="自然资源局", at=AT + timedelta(1))], NOW)
    routes = {(r["project_id"], r["department"]) for r in await rows(console, project_routes)}
    assert routes == {(str(pid(1)), "自然资源局"), (str(pid(1)), "发改局"), (str(pid(2)), "住建局")}


async def test_bulletins_are_listed_once(console) -> None:
    await apply_bulletins(console.sessions, [bulletin("2026-02"), bulletin("2026-02")], NOW)
    await apply_bulletins(console.sessions, [bulletin("2026-02")], NOW)
    assert [r["month"] for r in await rows(console, bulletins)] == ["2026-02"]


async def test_a_grey_finding_keeps_the_project_grey(console) -> None:
    """R6 (数据超期) reports grey: the map shows grey, not a yellow made up from its level."""
    await apply_project_changes(console.sessions, [project_changed(1)], NOW)
    await apply_escalation_events(console.sessions, [escalation(1, "raised", 1, rule="R6.data_freshness", colour="grey")], NOW)
    row = await project_row(console, 1)
    assert (row["colour_fresh"], row["colour_stale"]) == ("grey", "grey")
    [stored] = await rows(console, escalations)
    assert stored["colour"] == "grey"
