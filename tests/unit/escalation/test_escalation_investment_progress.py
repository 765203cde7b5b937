"""R5 investment behind 序时进度: year to date and the last three months, yellow from 10 points (inclusive), red over 30."""
from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from services.escalation.domain.facts import LedgerEntry, ProjectFacts
from services.escalation.domain.findings import Audience
from services.escalation.domain.ladder import CONDITION_CLEARED, PERIOD_ENDED, Open, Resolve, escalation_key
from services.escalation.domain.policy import Policy
from services.escalation.domain.rules.investment_progress import RULE_ID, evaluate
from services.escalation.evaluation import RULE_IDS
from services.escalation.reconcile import reconcile

D = date.fromisoformat
POLICY = Policy(county_code="640104", preset="yinchuan")
ANNUAL = 1_200_000  # 序时: 100_000 a month


def facts(*entries: LedgerEntry, **changes: Any) -> ProjectFacts:
    base = ProjectFacts(project_id="p-5", name="滨河新区物流园", county_code="640104", stage="started", leader="马副区长",
                        lead_department="区商务局", responsible_unit="物流园公司", annual_plan_fen=ANNUAL, ledger=entries)
    return replace(base, **changes)


def grades(as_of: str, *entries: LedgerEntry, policy: Policy = POLICY, **changes: Any) -> dict[str, tuple[int, str]]:
    return {f.subject: (f.level, f.colour) for f in evaluate(facts(*entries, **changes), policy, D(as_of))}


@pytest.mark.parametrize(
    ("done", "expected"),
    [
        pytest.param(600_000, None, id="on-plan"),
        pytest.param(480_001, None, id="just-under-10-points"),
        pytest.param(480_000, (1, "yellow"), id="exactly-10-points-is-yellow"),
        pytest.param(240_000, (1, "yellow"), id="exactly-30-points-is-still-yellow"),
        pytest.param(239_999, (2, "red"), id="over-30-points-is-red"),
    ],
)
def test_year_to_date_bands(done: int, expected: tuple[int, str] | None) -> None:
    # As of 10 July the graded month is June: 序时 = 6/12 of the annual plan.
    found = grades("2026-07-10", LedgerEntry(month="2026-06", ytd_fen=done))
    assert found.get("investment:ytd") == expected
    assert "investment:quarter" not in found  # April and May are unknown: no window to grade


@pytest.mark.parametrize(
    ("months", "expected"),
    [
        pytest.param((90_000, 90_000, 90_000), (1, "yellow"), id="exactly-10-points"),
        pytest.param((90_000, 90_000, 90_001), None, id="just-under-10"),
        pytest.param((70_000, 70_000, 70_000), (1, "yellow"), id="exactly-30-points"),
        pytest.param((70_000, 70_000, 69_999), (2, "red"), id="over-30"),
    ],
)
def test_last_three_months_bands(months: tuple[int, int, int], expected: tuple[int, str] | None) -> None:
    entries = [LedgerEntry(month=m, investment_fen=v) for m, v in zip(("2026-04", "2026-05", "2026-06"), months, strict=True)]
    found = grades("2026-07-10", *entries)
    assert found.get("investment:quarter") == expected
    assert "investment:ytd" not in found  # January to March unknown and no year-to-date figure


def test_cumulative_figures_hide_recent_slippage_so_both_are_graded() -> None:
    # Ahead in the first quarter, nothing done since April: the year to date is yellow, the last quarter red.
    entries = [LedgerEntry(month=f"2026-0{m}", investment_fen=v) for m, v in ((1, 200_000), (2, 100_000), (3, 80_000), (4, 0), (5, 0), (6, 0))]
    found = {f.subject: f for f in evaluate(facts(*entries), POLICY, D("2026-07-01"))}
    assert {s: (f.level, f.colour) for s, f in found.items()} == {"investment:ytd": (1, "yellow"), "investment:quarter": (2, "red")}
    ytd, quarter = found["investment:ytd"], found["investment:quarter"]
    assert (ytd.evidence["behind_points"], ytd.evidence["done_fen"], ytd.evidence["plan_kind"]) == ("18.33", "380000", "annual_by_months")
    assert (quarter.evidence["behind_points"], quarter.evidence["months"], quarter.evidence["plan_fen"]) == ("100.00", "2026-04..2026-06", "300000")


def test_the_monthly_plan_curve_replaces_the_straight_line_when_every_month_has_a_plan() -> None:
    # Back-loaded plan: 50_000 a month to June (300_000), so 240_000 done is 5 points behind the curve.
    entries = [LedgerEntry(month=f"2026-0{m}", plan_fen=50_000, investment_fen=40_000) for m in range(1, 7)]
    found = {f.subject: f for f in evaluate(facts(*entries), POLICY, D("2026-07-01"))}
    assert "investment:ytd" not in found  # the straight line would say 30 points behind
    straight = [replace(e, plan_fen=None) if e.month == "2026-03" else e for e in entries]
    found = {f.subject: f for f in evaluate(facts(*straight), POLICY, D("2026-07-01"))}
    assert (found["investment:ytd"].colour, found["investment:ytd"].evidence["plan_kind"]) == ("yellow", "annual_by_months")


def test_year_to_date_figure_derived_month_by_month_from_ytd_differences() -> None:
    entries = [LedgerEntry(month="2026-04", ytd_fen=300_000), LedgerEntry(month="2026-05", ytd_fen=320_000),
               LedgerEntry(month="2026-06", ytd_fen=340_000), LedgerEntry(month="2026-03", ytd_fen=280_000)]
    found = grades("2026-07-10", *entries)
    # Done April-June: 20_000, 20_000, 20_000 of 300_000 planned, 80 points behind; year to date 26 points behind.
    assert found == {"investment:ytd": (1, "yellow"), "investment:quarter": (2, "red")}


def test_a_late_ledger_grades_the_newest_month_there_is() -> None:
    [f] = evaluate(facts(LedgerEntry(month="2026-05", ytd_fen=300_000)), POLICY, D("2026-07-03"))
    assert (f.evidence["graded_month"], f.evidence["behind_points"]) == ("2026-05", "16.67")


def test_the_current_month_is_not_graded_before_it_ends() -> None:
    assert grades("2026-06-30", LedgerEntry(month="2026-06", ytd_fen=0)) == {}


def test_january_grades_last_years_window_but_not_its_year_to_date() -> None:
    entries = [LedgerEntry(month=m, investment_fen=0, ytd_fen=0 if m == "2025-12" else None) for m in ("2025-10", "2025-11", "2025-12")]
    assert grades("2026-01-15", *entries) == {"investment:quarter": (2, "red")}


def test_the_window_crosses_the_new_year() -> None:
    entries = [LedgerEntry(month=m, investment_fen=100_000) for m in ("2025-11", "2025-12", "2026-01")]
    assert grades("2026-02-10", *entries) == {}
    [f] = evaluate(facts(*entries[:2], LedgerEntry(month="2026-01", investment_fen=0)), POLICY, D("2026-02-10"))
    assert (f.subject, f.evidence["months"]) == ("investment:quarter", "2025-11..2026-01")


@pytest.mark.parametrize("annual", [None, 0])
def test_no_annual_plan_no_grading(annual: int | None) -> None:
    assert grades("2026-07-10", LedgerEntry(month="2026-06", ytd_fen=0), annual_plan_fen=annual) == {}


def test_red_goes_to_the_unit_and_the_lead_department_with_evidence() -> None:
    [f] = evaluate(facts(LedgerEntry(month="2026-06", ytd_fen=0)), POLICY, D("2026-07-10"))
    assert (f.rule_id, f.occurrence, f.level_name) == ("R5.investment_progress", "2026", "年度累计投资欠序时进度(红灯)")
    assert f.action == (Audience("department", "物流园公司", "action"), Audience("department", "区商务局", "action"))
    assert f.informed == (Audience("leader", "马副区长", "informed"),)
    assert (f.evidence["threshold.progress_yellow_points"], f.evidence["threshold.progress_red_points"]) == ("10", "30")
    assert (f.evidence["behind_points"], f.evidence["plan_fen"], f.evidence["colour"]) == ("50.00", "600000", "red")
    assert "落后序时进度50.00个百分点" in f.summary


@pytest.mark.parametrize(
    ("subject", "as_of", "reason"),
    [
        pytest.param("investment:ytd", "2026-12-31", CONDITION_CLEARED, id="ytd-gone-within-its-year-is-cleared"),
        pytest.param("investment:ytd", "2027-01-01", PERIOD_ENDED, id="ytd-gone-with-its-year-ended"),
        pytest.param("investment:quarter", "2027-01-01", CONDITION_CLEARED, id="recent-window-runs-across-years"),
    ],
)
def test_a_years_grade_that_goes_with_its_year_closes_as_ended(subject: str, as_of: str, reason: str) -> None:
    """reconcile, given the day: an open 2026 grade with nothing found closes as cleared, or as ended once 2026 is over."""
    record = Open(escalation_key("p-1", RULE_ID, subject), "2026", 2)
    assert reconcile("p-1", [record], [], RULE_IDS, date.fromisoformat(as_of)) == [Resolve(record, reason)]


def test_the_recent_window_is_one_episode_across_the_year_end() -> None:
    """Named by its graded month's year, a slip from December into January was cleared and opened anew in February."""
    months = [LedgerEntry(month=m, investment_fen=0) for m in ("2026-10", "2026-11", "2026-12", "2027-01")]
    december, january = (next(f for f in evaluate(facts(*months), POLICY, D(day)) if f.subject == "investment:quarter")
                         for day in ("2027-01-10", "2027-02-10"))
    assert (december.evidence["graded_month"], january.evidence["graded_month"]) == ("2026-12", "2027-01")
    assert december.occurrence == january.occurrence


def test_each_year_is_graded_against_its_own_plan() -> None:
    """A plan reported for 2026 is not 2027's: 2027 is graded only once its plan is in, and against that plan, even
    when the newest record (December's late ledger) carried 2026's."""
    ledger = (LedgerEntry(month="2026-12", ytd_fen=1_200_000), LedgerEntry(month="2027-03", ytd_fen=0))
    old_plan_only = facts(*ledger, annual_plan_fen=ANNUAL, annual_plans=((2026, ANNUAL),))
    assert "investment:ytd" not in {f.subject for f in evaluate(old_plan_only, POLICY, D("2027-04-10"))}
    both = replace(old_plan_only, annual_plans=((2026, ANNUAL), (2027, 2_400_000)))
    [ytd] = [f for f in evaluate(both, POLICY, D("2027-04-10")) if f.subject == "investment:ytd"]
    assert (ytd.evidence["annual_plan_fen"], ytd.evidence["plan_fen"], ytd.occurrence) == ("2400000", "600000", "2027")


def test_a_window_across_the_year_end_takes_a_month_of_each_years_plan() -> None:
    months = [LedgerEntry(month=m, investment_fen=0) for m in ("2026-11", "2026-12", "2027-01")]
    plans = facts(*months, annual_plan_fen=2_400_000, annual_plans=((2026, ANNUAL), (2027, 2_400_000)))
    [window] = [f for f in evaluate(plans, POLICY, D("2027-02-10")) if f.subject == "investment:quarter"]
    assert window.evidence["plan_fen"] == str(100_000 + 100_000 + 200_000)
    # Without 2027's plan January has nothing to be measured against, so the window is not graded.
    assert evaluate(replace(plans, annual_plans=((2026, ANNUAL),)), POLICY, D("2027-02-10")) == []


def test_a_plan_kept_before_plans_had_years_is_every_years() -> None:
    """Snapshots written before tracker filed plans by year carry one plan: it grades as it always did."""
    assert facts(annual_plan_fen=ANNUAL).annual_plan(2031) == ANNUAL
    assert facts(annual_plan_fen=ANNUAL, annual_plans=((2026, 5),)).annual_plan(2031) is None
