"""R4 L0-L1: milestones due soon (green reminder) or overdue (yellow, reply in 5 working days), and the ledger missing on day 5."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from services.escalation.domain.facts import LedgerEntry, MilestoneFact, ProjectFacts
from services.escalation.domain.findings import Audience
from services.escalation.domain.policy import Policy
from services.escalation.domain.rules.milestones import evaluate_ledger, evaluate_milestones

D = date.fromisoformat
POLICY = Policy(county_code="330106")
YINCHUAN = Policy(county_code="640104", preset="yinchuan", milestone_red_after_months=3)
UNIT, LEAD, LEADER = "西溪置业公司", "区经信局", "王副区长"


def facts(*milestones: MilestoneFact, **changes: Any) -> ProjectFacts:
    base = ProjectFacts(project_id="p-4", name="西溪数字产业园", county_code="330106", stage="signed", leader=LEADER,
                        lead_department=LEAD, responsible_unit=UNIT, milestones=milestones)
    return replace(base, **changes)


def permit(planned: str = "2026-09-30", **fields: Any) -> MilestoneFact:
    return MilestoneFact(name="施工许可", planned=D(planned), **fields)


def grade(as_of: str, milestone: MilestoneFact | None = None, policy: Policy = POLICY) -> tuple[int, str] | None:
    found = evaluate_milestones(facts(milestone or permit()), policy, D(as_of))
    return (found[0].level, found[0].colour) if found else None


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        pytest.param("2026-09-22", None, id="8-days-ahead"),
        pytest.param("2026-09-23", (1, "green"), id="7-days-ahead-L0"),
        pytest.param("2026-09-30", (1, "green"), id="due-today-still-L0"),
        pytest.param("2026-10-01", (2, "yellow"), id="day-after-overdue-L1"),
        pytest.param("2027-06-30", (2, "yellow"), id="long-overdue-stays-L1-nationally"),
    ],
)
def test_due_soon_and_overdue(as_of: str, expected: tuple[int, str] | None) -> None:
    assert grade(as_of) == expected


@pytest.mark.parametrize(
    ("actual", "as_of", "expected"),
    [
        pytest.param("2026-09-29", "2026-10-01", None, id="done-before-the-plan"),
        pytest.param("2026-10-03", "2026-10-03", None, id="done-late-clears-it"),
        pytest.param("2026-10-05", "2026-10-02", (2, "yellow"), id="actual-for-a-later-day-not-yet-done"),
    ],
)
def test_done_milestones(actual: str, as_of: str, expected: tuple[int, str] | None) -> None:
    assert grade(as_of, permit(actual=D(actual))) == expected


def test_a_milestone_without_a_plan_is_never_due() -> None:
    assert evaluate_milestones(facts(MilestoneFact(name="环评")), POLICY, D("2026-10-01")) == []


@pytest.mark.parametrize(
    ("planned", "as_of", "due", "provisional"),
    [
        # Overdue from 2026-10-01 (National Day, holidays to 10-07): 10-08, 10-09, Saturday 10-10 (an adjusted
        # working day), 10-12, 10-13.
        pytest.param("2026-09-30", "2026-10-01", "2026-10-13", "false", id="national-day-2026-and-adjusted-saturday"),
        pytest.param("2026-06-01", "2026-06-02", "2026-06-09", "false", id="plain-week"),
        # 2027's holidays are not announced yet: weekends only, and said so.
        pytest.param("2027-03-10", "2027-03-11", "2027-03-18", "true", id="2027-provisional"),
    ],
)
def test_l1_explanation_due_in_5_working_days(planned: str, as_of: str, due: str, provisional: str) -> None:
    [f] = evaluate_milestones(facts(permit(planned)), POLICY, D(as_of))
    assert (f.evidence["explanation_due"], f.evidence["explanation_due_provisional"]) == (due, provisional)
    assert f.evidence["overdue_since"] == as_of
    # The date stays a fact in the evidence; the summary gives no date to act by: the case opened with it does (one
    # deadline per step), so a milestone learnt late never reads as "请于<a past day>前".
    assert due not in f.summary and "请于" not in f.summary and "期限以督办单为准" in f.summary
    assert f"应于{planned}完成（已逾期1天）" in f.summary


def test_l0_goes_to_the_responsible_unit_and_l1_to_the_lead_department() -> None:
    [l0] = evaluate_milestones(facts(permit()), POLICY, D("2026-09-25"))
    assert l0.action == (Audience("department", UNIT, "action"),)
    [l1] = evaluate_milestones(facts(permit()), POLICY, D("2026-10-02"))
    assert l1.action == (Audience("department", LEAD, "action"),)
    assert set(l1.informed) == {Audience("department", UNIT, "informed"), Audience("leader", LEADER, "informed")}
    assert (l1.subject, l1.occurrence, l1.rule_id) == ("milestone:施工许可", "2026-09-30", "R4.milestone")
    assert (l1.evidence["colour"], l1.evidence["threshold.milestone_explanation_workdays"]) == ("yellow", "5")


def test_the_department_that_blocks_is_asked_to_act_not_the_investor() -> None:
    [f] = evaluate_milestones(facts(permit(blocking_department="区征迁办")), POLICY, D("2026-10-02"))
    assert f.action == (Audience("department", "区征迁办", "action"),)
    assert Audience("department", LEAD, "informed") in f.informed and Audience("department", UNIT, "informed") in f.informed
    assert f.evidence["blocking_department"] == "区征迁办" and "由区征迁办办理" in f.summary


def test_a_moved_plan_is_a_new_episode_and_keeps_its_baseline_visible() -> None:
    [f] = evaluate_milestones(facts(permit("2026-11-30", baseline=D("2026-09-30"))), POLICY, D("2026-12-01"))
    assert (f.occurrence, f.evidence["baseline"]) == ("2026-11-30", "2026-09-30")


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        pytest.param("2026-06-30", (2, "yellow"), id="last-day-of-3-months"),
        pytest.param("2026-07-01", (3, "red"), id="3-full-months-overdue"),
    ],
)
def test_yinchuan_red_after_three_months_overdue(as_of: str, expected: tuple[int, str]) -> None:
    milestone = MilestoneFact(name="开工", planned=D("2026-03-31"), blocking_department="县自然资源局")
    assert grade(as_of, milestone, YINCHUAN) == expected
    [f] = evaluate_milestones(facts(milestone), YINCHUAN, D(as_of))
    assert f.action == (Audience("department", "县自然资源局", "action"),)  # the red too goes to whoever blocks


def ledger_found(as_of: str, *reported: str, **changes: Any) -> list[str]:
    changes.setdefault("stage", "started")
    changes.setdefault("ledger", tuple(LedgerEntry(month=m, investment_fen=1) for m in reported))
    return [f.occurrence for f in evaluate_ledger(facts(**changes), POLICY, D(as_of))]


@pytest.mark.parametrize(
    ("as_of", "reported", "expected"),
    [
        pytest.param("2026-05-04", ("2026-03",), [], id="day-4-april-not-due-yet"),
        pytest.param("2026-05-05", ("2026-03",), ["2026-04"], id="day-5-due"),
        pytest.param("2026-05-31", ("2026-03",), ["2026-04"], id="end-of-month"),
        pytest.param("2026-06-01", ("2026-03",), ["2026-04"], id="still-missing-on-the-1st"),
        pytest.param("2026-06-05", ("2026-03",), ["2026-04"], id="may-missing-too-one-finding-for-the-run"),
        pytest.param("2026-06-05", ("2026-03", "2026-04"), ["2026-05"], id="april-in-may-missing"),
        pytest.param("2026-06-05", ("2026-03", "2026-05"), [], id="newest-due-month-in"),
        pytest.param("2026-01-05", ("2025-11",), ["2025-12"], id="january-asks-for-december"),
        pytest.param("2026-05-04", (), ["unanchored"], id="nothing-reported-no-start-date"),
    ],
)
def test_ledger_missing_on_day_5_until_it_comes_in(as_of: str, reported: tuple[str, ...], expected: list[str]) -> None:
    assert ledger_found(as_of, *reported) == expected


def test_a_missing_ledger_stands_from_its_due_day_until_it_comes_in() -> None:
    """Every day from April's due day to August, one finding (April's run); it clears when the run's ledgers are in."""
    day, seen = D("2026-05-05"), set()
    while day < D("2026-08-31"):
        seen.update(ledger_found(day.isoformat(), "2026-03"))
        day = day.fromordinal(day.toordinal() + 1)
    assert seen == {"2026-04"}
    assert ledger_found("2026-08-31", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07") == []


def test_the_run_starts_no_earlier_than_construction() -> None:
    started = (MilestoneFact(name="开工", actual=D("2026-02-10")),)
    assert ledger_found("2026-05-05", milestones=started) == ["2026-02"]
    assert ledger_found("2026-03-04", milestones=started) == []  # February's is due on March 5
    # Neither a start nor an earlier ledger: nothing says since when. One finding stands, month after month, naming
    # the newest due month it was found on; a start date then anchors the run.
    for day in ("2026-06-05", "2026-07-01", "2026-08-05"):
        assert ledger_found(day) == ["unanchored"]
    [found] = evaluate_ledger(facts(stage="started"), POLICY, D("2026-08-05"))
    assert (found.evidence["ledger_month"], found.evidence["due_on"]) == ("2026-07", "2026-08-05")
    assert "此前亦无台账" in found.summary
    assert ledger_found("2026-08-05", milestones=(MilestoneFact(name="开工", actual=D("2026-05-20")),)) == ["2026-05"]


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"ledger": (LedgerEntry(month="2026-04", investment_fen=1),)}, id="reported"),
        pytest.param({"stage": "signed"}, id="not-under-construction"),
        pytest.param({"stage": "completed"}, id="completed"),
        pytest.param({"stage": None}, id="stage-unknown"),
        pytest.param({"milestones": (MilestoneFact(name="开工", actual=D("2026-05-02")),)}, id="started-after-that-month"),
    ],
)
def test_ledger_not_owed(changes: dict[str, Any]) -> None:
    assert ledger_found("2026-05-05", **changes) == []


def test_ledger_finding_is_grey_to_the_responsible_unit() -> None:
    [f] = evaluate_ledger(facts(stage="started"), POLICY, D("2026-05-06"))
    assert (f.rule_id, f.subject, f.level, f.colour) == ("R4.ledger_missing", "ledger", 1, "grey")
    assert f.action == (Audience("department", UNIT, "action"),)
    assert (f.evidence["due_on"], f.evidence["threshold.ledger_due_day"], f.evidence["colour"]) == ("2026-05-05", "5", "grey")
    [later] = evaluate_ledger(facts(stage="started"), Policy(ledger_due_day=10), D("2026-05-10"))
    assert later.evidence["due_on"] == "2026-05-10"
    march_in = facts(stage="started", ledger=(LedgerEntry(month="2026-03", investment_fen=1),))
    assert evaluate_ledger(march_in, Policy(ledger_due_day=10), D("2026-05-09")) == []
