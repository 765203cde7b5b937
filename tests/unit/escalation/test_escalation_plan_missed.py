"""R5 下月计划 missed: a month's planned investment for the next month against that month's ledger; yellow, then red."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from services.escalation.domain.due import next_due
from services.escalation.domain.facts import LedgerEntry, ProjectFacts
from services.escalation.domain.findings import Audience
from services.escalation.domain.policy import Policy
from services.escalation.domain.rules.plan_missed import RULE_ID, evaluate
from services.escalation.projection import facts_of
from services.tracker import domain as tracker
from shared.contracts import ProjectSnapshot, ProjectUpdate
from shared.labels import EVIDENCE, POLICY, SUBJECTS
from shared.wording import evidence_lines, subject_text
from tests.support.visible import raw_identifiers

D = date.fromisoformat
WAN = 1_000_000  # 1万元 in fen


def ledger(*months: tuple[str, int | None, int | None]) -> tuple[LedgerEntry, ...]:
    """(month, investment done in it, 下月计划投资 it sets for the month after), in 万元."""
    return tuple(LedgerEntry(month=m, investment_fen=None if done is None else done * WAN,
                             next_month_plan_fen=None if plan is None else plan * WAN,
                             next_month_plan="完成主体结构封顶" if plan is not None else None)
                 for m, done, plan in months)


def facts(*months: tuple[str, int | None, int | None]) -> ProjectFacts:
    return ProjectFacts(project_id="p-5", name="滨河新区物流园", county_code="330106", stage="started", leader="马副区长",
                        lead_department="区商务局", responsible_unit="物流园公司", ledger=ledger(*months))


def verdict(as_of: str, *months: tuple[str, int | None, int | None], policy: Policy = Policy()) -> tuple[int, str, str] | None:
    found = evaluate(facts(*months), policy, D(as_of))
    assert len(found) <= 1
    return (found[0].level, found[0].colour, found[0].occurrence) if found else None


def test_the_first_month_missed_is_yellow_with_plan_and_actual_side_by_side() -> None:
    # April promised 300万元 for May; May did 200万元. Checked once May is over and its ledger in.
    [f] = evaluate(facts(("2026-04", 250, 300), ("2026-05", 200, 300)), Policy(), D("2026-06-08"))
    assert (f.rule_id, f.subject, f.occurrence, f.level, f.colour, f.level_name) == (RULE_ID, "monthly_plan", "2026-05", 1, "yellow",
                                                                                     "未完成下月计划(黄灯)")
    assert {k: f.evidence[k] for k in ("graded_month", "plan_month", "plan_fen", "done_fen", "shortfall_fen", "missed_months",
                                       "plan_text")} == {
        "graded_month": "2026-05", "plan_month": "2026-04", "plan_fen": str(300 * WAN), "done_fen": str(200 * WAN),
        "shortfall_fen": str(100 * WAN), "missed_months": "1", "plan_text": "完成主体结构封顶"}
    assert "previous_plan_fen" not in f.evidence  # nothing promised for April: no month before to show
    assert f.summary == "滨河新区物流园：2026-05完成投资200.00万元，低于2026-04台账所报下月计划300.00万元，差100.00万元；连续1个月未完成计划，未完成下月计划(黄灯)"
    assert f.audience == (Audience("department", "物流园公司", "action"), Audience("department", "区商务局", "informed"))


def test_missed_two_months_running_is_red_in_the_same_episode_with_both_months() -> None:
    months = (("2026-03", 100, 300), ("2026-04", 250, 300), ("2026-05", 200, 300))
    [f] = evaluate(facts(*months), Policy(), D("2026-06-08"))
    assert (f.level, f.colour, f.occurrence, f.level_name) == (2, "red", "2026-04", "连续未完成下月计划(红灯)")
    assert (f.evidence["missed_months"], f.evidence["missed_since"]) == ("2", "2026-04")
    assert (f.evidence["plan_fen"], f.evidence["done_fen"]) == (str(300 * WAN), str(200 * WAN))  # May
    assert (f.evidence["previous_plan_fen"], f.evidence["previous_done_fen"]) == (str(300 * WAN), str(250 * WAN))  # April
    assert "上月（2026-04）计划300.00万元、完成250.00万元" in f.summary
    assert f.audience == (Audience("department", "物流园公司", "action"), Audience("department", "区商务局", "action"),
                          Audience("leader", "马副区长", "informed"))
    # A month earlier the same episode was yellow: the ladder climbs it rather than opening another.
    assert verdict("2026-05-08", *months[:2]) == (1, "yellow", "2026-04")


@pytest.mark.parametrize(
    ("may_done", "expected"),
    [
        pytest.param(300, None, id="plan-met-exactly"),
        pytest.param(320, None, id="plan-beaten"),
        pytest.param(299, (2, "red", "2026-04"), id="short-by-1万元"),
    ],
)
def test_meeting_the_plan_clears_it(may_done: int, expected: tuple[int, str, str] | None) -> None:
    assert verdict("2026-06-08", ("2026-03", 0, 300), ("2026-04", 250, 300), ("2026-05", may_done, None)) == expected


def test_a_met_month_breaks_the_run_and_a_later_miss_is_a_new_yellow_episode() -> None:
    months = (("2026-03", 0, 300), ("2026-04", 250, 300), ("2026-05", 300, 300), ("2026-06", 100, None))
    assert verdict("2026-07-06", *months) == (1, "yellow", "2026-06")


@pytest.mark.parametrize(
    "months",
    [
        pytest.param((("2026-04", 250, None), ("2026-05", 0, None)), id="no-plan-given"),
        pytest.param((("2026-05", 0, None),), id="no-ledger-the-month-before"),
        pytest.param((("2026-04", 250, 0), ("2026-05", 0, None)), id="a-zero-plan-is-never-missed"),
        pytest.param((("2026-04", 250, 300), ("2026-05", None, None)), id="no-investment-figure-for-the-month"),
    ],
)
def test_no_plan_or_no_actual_no_finding(months: tuple[tuple[str, int | None, int | None], ...]) -> None:
    assert verdict("2026-06-08", *months) is None


def test_a_month_is_checked_only_once_it_is_over() -> None:
    months = (("2026-04", 250, 300), ("2026-05", 200, None))
    assert verdict("2026-05-31", *months) is None  # May's figures so far are not May's result
    assert verdict("2026-06-01", *months) == (1, "yellow", "2026-05")
    # June's ledger is not in yet (R4's finding): May's verdict stands.
    assert verdict("2026-07-03", *months) == (1, "yellow", "2026-05")


def test_december_promises_for_january_across_the_year_from_year_to_date_figures() -> None:
    entries = (LedgerEntry(month="2026-12", investment_fen=500 * WAN, next_month_plan_fen=400 * WAN),
               LedgerEntry(month="2027-01", ytd_fen=100 * WAN))  # January's done is its year-to-date figure
    [f] = evaluate(replace(facts(), ledger=entries), Policy(), D("2027-02-06"))
    assert (f.occurrence, f.evidence["plan_month"], f.evidence["done_fen"]) == ("2027-01", "2026-12", str(100 * WAN))


def test_the_tolerance_and_the_red_run_come_from_the_policy() -> None:
    months = (("2026-04", 250, 300), ("2026-05", 285, None))  # 5% short
    assert verdict("2026-06-08", *months) == (1, "yellow", "2026-05")
    assert verdict("2026-06-08", *months, policy=Policy(plan_missed_tolerance_percent=Decimal("5"))) is None
    assert verdict("2026-06-08", *months, policy=Policy(plan_missed_tolerance_percent=Decimal("4.9"))) == (1, "yellow", "2026-05")
    three = Policy(plan_missed_red_months=3)
    assert verdict("2026-06-08", ("2026-03", 0, 300), ("2026-04", 250, 300), ("2026-05", 200, None), policy=three) == (1, "yellow", "2026-04")
    [f] = evaluate(facts(*months), three, D("2026-06-08"))
    assert (f.evidence["threshold.plan_missed_red_months"], f.evidence["threshold.plan_missed_tolerance_percent"]) == ("3", "0")


@pytest.mark.parametrize("bad", [{"plan_missed_tolerance_percent": Decimal("100")}, {"plan_missed_tolerance_percent": Decimal("-1")},
                                 {"plan_missed_red_months": 0}])
def test_impossible_settings_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="plan_missed"):
        Policy(**bad)  # type: ignore[arg-type]


def test_next_due_is_the_first_of_the_month_after_a_month_still_running() -> None:
    running = facts(("2026-04", 250, 300), ("2026-05", 120, None))  # May's ledger sent before May ended
    assert next_due(running, Policy(), D("2026-05-20"), [RULE_ID]) == D("2026-06-01")
    assert next_due(running, Policy(), D("2026-06-01"), [RULE_ID]) is None  # every month is over: only new data moves it
    assert next_due(facts(), Policy(), D("2026-05-20"), [RULE_ID]) is None


def test_the_plan_travels_from_a_ledger_upload_through_tracker_into_the_facts() -> None:
    update = ProjectUpdate.model_validate({
        "project_code": "2603-330106-04-01-000777", "source_system": "发改局重点项目台账", "source_record_id": "r-1",
        "source_record_time": "2026-05-06T01:00:00Z",
        "ledger": [{"month": "2026-04", "investment_fen": 250 * WAN, "next_month_plan": "完成主体结构封顶", "next_month_plan_fen": 300 * WAN}]})
    state, changes = tracker.merge({}, update, "e-1")
    assert "ledger.2026-04.next_month_plan_fen" in {c.path for c in changes}
    snapshot = ProjectSnapshot.model_validate({**tracker.unflatten(state), "project_id": "0c6d1f1e-7a43-4e0b-9c55-3d2f8a7b6e10",
                                               "ledger_month": "2026-04", "investment_month_fen": 250 * WAN})
    [entry] = facts_of(ProjectSnapshot.model_validate(snapshot.model_dump(mode="json")), "330106").ledger
    assert (entry.next_month_plan_fen, entry.next_month_plan, entry.investment_fen) == (300 * WAN, "完成主体结构封顶", 250 * WAN)


def test_everything_a_person_reads_is_labelled_words() -> None:
    months = (("2026-03", 100, 300), ("2026-04", 250, 300), ("2026-05", 200, 300))
    [f] = evaluate(facts(*months), Policy(), D("2026-06-08"))
    assert "monthly_plan" in SUBJECTS
    for key in f.evidence:
        assert key in EVIDENCE or key.removeprefix("threshold.") in POLICY, key
    for text in (f.summary, f.level_name, subject_text(f.subject), *(f"{k}：{v}" for k, v in evidence_lines(f.evidence))):
        assert not raw_identifiers(text), text
