"""next_due against the truth: evaluate every day until the named day and see that nothing changed before it."""
from __future__ import annotations

import random
import re
from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from services.escalation.domain.due import DUE_RULES, next_due
from services.escalation.domain.facts import (
    ApprovalFact,
    CentralFundBatch,
    Delay,
    LedgerEntry,
    MilestoneFact,
    Parcel,
    ProjectFacts,
    SmePaymentFact,
)
from services.escalation.domain.policy import Policy
from services.escalation.domain.rules import RULES, evaluate_all
from services.escalation.domain.rules.milestones import LEDGER_RULE

RULE_IDS = tuple(rule.rule_id for rule in RULES)
HORIZON = 400  # days looked ahead when no day is named
BASE = date(2026, 1, 1)


def signature(facts: ProjectFacts, policy: Policy, day: date) -> frozenset[tuple[str, str, str, int]]:
    """What the ladder compares (reconcile): which findings exist, their episode and level."""
    return frozenset((f.rule_id, f.subject, f.occurrence, f.level) for f in evaluate_all(facts, policy, day))


def some_day(rng: random.Random, spread: int = 900) -> date:
    return BASE + timedelta(days=rng.randint(-spread, spread // 2))


def maybe(rng: random.Random, value):  # noqa: ANN001, ANN202 - any optional fact
    return value if rng.random() < 0.5 else None


def random_facts(rng: random.Random, n: int) -> ProjectFacts:
    parcels = tuple(Parcel(parcel_id=f"P{k}", agreed_start_date=maybe(rng, some_day(rng)), handover_date=maybe(rng, some_day(rng)),
                           land_price_fen=1_000_00, required_area_m2=100, developed_area_m2=rng.choice((None, 10, 90)),
                           actual_start_date=maybe(rng, some_day(rng)), last_progress_date=maybe(rng, some_day(rng)),
                           delays=tuple(Delay(start, maybe(rng, start + timedelta(days=rng.randint(0, 200))), "new_policy", "规划局")
                                        for start in (some_day(rng) for _ in range(rng.randint(0, 2)))))
                    for k in range(rng.randint(0, 2)))
    milestones = tuple(MilestoneFact(name=name, planned=maybe(rng, some_day(rng)), actual=maybe(rng, some_day(rng)))
                       for name in rng.sample(["开工", "竣工", "用地", "环评"], rng.randint(0, 3)))
    months = sorted({f"{d.year:04d}-{d.month:02d}" for d in (some_day(rng, 300) for _ in range(rng.randint(0, 6)))})
    return ProjectFacts(
        project_id=f"p{n}", county_code="330106", name=f"项目{n}", leader="陈", lead_department="发改局", responsible_unit="住建局",
        government_funded=rng.random() < 0.5, budget_fen=100_00, committed_cost_fen=rng.choice((None, 90_00, 150_00)),
        total_investment_fen=rng.choice((None, 1_000_000_00, 90_000_000_00)), parcels=parcels,
        stage=rng.choice(("reserve", "signed", "started", "completed")), annual_plan_fen=rng.choice((None, 12_000_00)),
        ledger=tuple(LedgerEntry(month=m, ytd_fen=rng.randint(0, 12_000_00), next_month_plan_fen=rng.choice((None, 1_000_00, 4_000_00)))
                     for m in months), milestones=milestones,
        central_funds=tuple(CentralFundBatch(batch_id=f"C{k}", issued_on=some_day(rng), amount_fen=100_00,
                                             paid_fen=rng.choice((None, 0, 50_00))) for k in range(rng.randint(0, 2))),
        sme_payments=tuple(SmePaymentFact(payment_id=f"S{k}", accepted_on=some_day(rng), amount_fen=10_00,
                                          agreed_days=rng.choice((None, 45)), paid_on=maybe(rng, some_day(rng)))
                           for k in range(rng.randint(0, 2))),
        approval=maybe(rng, ApprovalFact(kind="approved", approved_on=some_day(rng), extended_until=maybe(rng, some_day(rng)))),
        stats_start_date=maybe(rng, some_day(rng)), stats_enrolled_on=maybe(rng, some_day(rng)),
        last_reported_on=maybe(rng, some_day(rng, 200)),
    )


def near_a_fact(rng: random.Random, facts: ProjectFacts) -> date:
    """Mostly just before a dated fact, where the edges are; else anywhere."""
    found = re.findall(r"datetime\.date\((\d+), (\d+), (\d+)\)", repr(facts))
    if not found or rng.random() < 0.3:
        return some_day(rng, 500)
    year, month, day = map(int, rng.choice(found))
    later = relativedelta(months=rng.choice((0, 0, 1, 2, 3, 9, 11, 12, 24)), days=rng.choice((0, 0, 30, 45, 60)))
    return date(year, month, day) + later + timedelta(days=rng.randint(-12, 2))


def test_every_rule_names_its_days() -> None:
    assert set(DUE_RULES) == set(RULE_IDS)


@pytest.mark.parametrize("seed", range(6))
def test_nothing_changes_before_the_named_day(seed: int) -> None:
    rng = random.Random(seed)
    policy = Policy(milestone_red_after_months=3) if seed % 2 else Policy()
    for n in range(100):
        facts = random_facts(rng, n)
        as_of = near_a_fact(rng, facts)
        today = signature(facts, policy, as_of)
        due = next_due(facts, policy, as_of, RULE_IDS)
        assert due is None or due > as_of
        last = due - timedelta(days=1) if due else as_of + timedelta(days=HORIZON)
        day = as_of + timedelta(days=1)
        while day <= last:
            assert signature(facts, policy, day) == today, f"{facts}\nchanged on {day}, next_due({as_of}) said {due}"
            day += timedelta(days=1)


def test_a_project_with_nothing_dated_is_never_due() -> None:
    facts = ProjectFacts(project_id="p", county_code="330106", stage="reserve", government_funded=True, budget_fen=100, committed_cost_fen=200)
    assert next_due(facts, Policy(), date(2026, 3, 2), RULE_IDS) is None


def test_the_day_land_becomes_idle_is_named() -> None:
    facts = ProjectFacts(project_id="p", county_code="330106", stage="signed",
                         parcels=(Parcel(parcel_id="XH-1", agreed_start_date=date(2025, 3, 1)),))
    # 9 months after 2025-03-01 ends on 2025-12-01: the first warning is due from 2025-12-02.
    assert next_due(facts, Policy(), date(2025, 6, 1), RULE_IDS) == date(2025, 12, 2)
    assert next_due(facts, Policy(), date(2025, 12, 2), RULE_IDS) == date(2026, 2, 2)


def test_the_day_data_goes_stale_is_named() -> None:
    facts = ProjectFacts(project_id="p", county_code="330106", stage="started", last_reported_on=date(2026, 3, 10))
    # March's ledger, not in, is due on 5 April; staleness itself comes on 11 April.
    assert next_due(facts, Policy(), date(2026, 4, 6), RULE_IDS) == date(2026, 4, 11)


def test_the_day_an_approval_lapses_is_named() -> None:
    facts = ProjectFacts(project_id="p", county_code="330106", stage="signed",
                         approval=ApprovalFact(kind="approved", approved_on=date(2024, 3, 10)))
    assert next_due(facts, Policy(), date(2025, 12, 1), RULE_IDS) == date(2025, 12, 11)  # the warning, 3 months before
    assert next_due(facts, Policy(), date(2026, 1, 1), RULE_IDS) == date(2026, 3, 11)  # lapsed


def test_a_ledger_due_day_is_named_only_when_the_finding_moves() -> None:
    """A missing run only grows: the sweep does not read a project that has not reported on every 5th to find it unchanged."""
    def ledger_due(as_of: str, *months: str) -> date | None:
        facts = ProjectFacts(project_id="p", county_code="330106", stage="started",
                             milestones=(MilestoneFact(name="开工", actual=date(2026, 1, 10)),),
                             ledger=tuple(LedgerEntry(month=m, investment_fen=1) for m in months))
        return next_due(facts, Policy(), date.fromisoformat(as_of), [LEDGER_RULE])

    assert ledger_due("2026-04-20", "2026-01", "2026-02", "2026-03") == date(2026, 5, 5)  # April's falls due
    assert ledger_due("2026-04-20", "2026-01") is None  # missing since February: nothing but its ledgers changes that
    assert ledger_due("2026-04-20", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05") == date(2026, 7, 5)  # sent ahead


def test_new_year_is_named_only_for_a_project_graded_behind() -> None:
    """The year's grade ends with the year: a project on its plan is not read on 1 January to find nothing changed."""
    def new_year_due(ytd_fen: int) -> date | None:
        facts = ProjectFacts(project_id="p", county_code="330106", stage="started", annual_plan_fen=12_000_00,
                             ledger=(LedgerEntry(month="2026-10", ytd_fen=ytd_fen),))
        return next_due(facts, Policy(), date(2026, 12, 10), ["R5.investment_progress"])

    assert new_year_due(ytd_fen=10_000_00) is None  # 10 of 12 months' plan done by October: on schedule
    assert new_year_due(ytd_fen=5_000_00) == date(2027, 1, 1)  # 42% behind: red until the year ends


def test_a_ledger_month_far_ahead_costs_a_bounded_walk() -> None:
    """A ledger naming a month centuries ahead (a typo) is walked two years at most: an early day, never a hang."""
    def ledger_due(*months: str) -> date | None:
        facts = ProjectFacts(project_id="p", county_code="330106", stage="started", milestones=(MilestoneFact(name="开工", actual=date(2026, 1, 10)),),
                             ledger=tuple(LedgerEntry(month=m, investment_fen=1) for m in (*months, "9999-12")))
        return next_due(facts, Policy(), date(2026, 3, 20), [LEDGER_RULE])

    assert ledger_due("2026-01", "2026-02") == date(2026, 4, 5)  # March's falls due
    sent_ahead = [f"{year}-{month:02d}" for year in (2026, 2027, 2028) for month in range(1, 13)]
    assert ledger_due(*sent_ahead) == date(2028, 4, 5)  # nothing changes before 2029: read again after two years of due days
