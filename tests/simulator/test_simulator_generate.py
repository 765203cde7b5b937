"""The simulator plants exactly what it reports: intake rejects the typos and only them, idle parcels are idle."""
from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

import pytest

from services.escalation.domain.facts import Parcel, ProjectFacts
from services.escalation.domain.policy import Policy
from services.escalation.domain.rules.idle_land import evaluate_idle_land
from services.intake.domain import triage
from services.simulator.generate import Feeds, Mix, as_of_utc, county_codes, generate
from shared.contracts import ProjectUpdate
from shared.contracts.types import is_county_code

IDLE_CASE_LEVEL = 3  # R1's level "闲置土地": one full year past the start date or of suspension


@pytest.fixture(scope="module")
def feeds() -> Feeds:
    return generate(counties=4, projects=30, months=14, seed=1, mix=Mix(idle=0.15, overrun=0.1, late=0.2, typos=0.1))


def test_the_same_seed_gives_the_same_feeds_and_another_seed_other_feeds() -> None:
    assert generate(2, 5, 6, seed=7).items == generate(2, 5, 6, seed=7).items
    assert generate(2, 5, 6, seed=7).items != generate(2, 5, 6, seed=8).items


def test_county_codes_look_real_and_are_distinct() -> None:
    codes = county_codes(40)
    assert codes[:3] == ["330106", "330782", "610104"]
    assert len(set(codes)) == 40 and all(is_county_code(code) for code in codes)


def test_proportions_are_honoured_and_reported(feeds: Feeds) -> None:
    counts = feeds.counts()
    projects = 4 * 30
    assert (counts["idle_parcel"], counts["overrun"], counts["late_ledger"]) == (round(0.15 * projects), round(0.1 * projects), round(0.2 * projects))
    typos = sum(count for kind, count in counts.items() if kind.startswith("typo:"))
    sent = sum(len(items) for items in feeds.items.values())
    assert typos == round(0.1 * (sent - typos))  # a tenth of the real records were first sent broken
    assert min(c for k, c in counts.items() if k.startswith("typo:")) >= typos // 4  # every kind, in turn


def test_intake_rejects_exactly_the_planted_typos_and_accepts_every_other_item(feeds: Feeds) -> None:
    rejected: Counter[str] = Counter()
    for county, items in feeds.items.items():
        split = triage(county, items, as_of_utc(feeds.end))
        rejected[county] = len(split.rejected)
        for _, event in split.events:  # the valid items are valid contracts on their own
            ProjectUpdate.model_validate(event.update.model_dump(mode="json"))
    planted = Counter(plant.county_code for plant in feeds.planted if plant.kind.startswith("typo:"))
    assert rejected == planted and sum(rejected.values()) > 0


def test_seed_1_with_ten_percent_typos_reports_what_triage_rejects() -> None:
    seeded = generate(counties=2, projects=10, months=12, seed=1, mix=Mix(typos=0.1))
    rejected = sum(len(triage(c, items, as_of_utc(seeded.end)).rejected) for c, items in seeded.items.items())
    assert rejected == sum(count for kind, count in seeded.counts().items() if kind.startswith("typo:")) > 0


def _parcels(feeds: Feeds) -> dict[tuple[str, str], tuple[dict[str, Any], int]]:
    """(county, project key) → (its parcel, its total investment), from the valid records."""
    totals: dict[tuple[str, str], int] = {}
    parcels: dict[tuple[str, str], dict[str, Any]] = {}
    for county, items in feeds.items.items():
        for _, event in triage(county, items, as_of_utc(feeds.end)).events:
            update = event.update
            key = (county, update.project_code or update.local_id or "")
            if update.total_investment_fen is not None:
                totals[key] = update.total_investment_fen
            if update.land_parcel is not None:
                parcels[key] = update.land_parcel.model_dump()
    return {key: (parcel, totals[key]) for key, parcel in parcels.items()}


def test_planted_idle_parcels_and_only_they_are_idle_by_rule_r1_on_the_end_date(feeds: Feeds) -> None:
    idle = set()
    for (county, key), (parcel, total) in _parcels(feeds).items():
        parcel.pop("government_delays")
        facts = ProjectFacts(project_id=key, county_code=county, total_investment_fen=total, parcels=(Parcel(**parcel),))
        if any(finding.level >= IDLE_CASE_LEVEL for finding in evaluate_idle_land(facts, Policy(), feeds.end)):
            idle.add((county, key))
    planted = {(plant.county_code, plant.key) for plant in feeds.planted if plant.kind == "idle_parcel"}
    assert idle == planted and len(planted) == 18


def test_late_ledgers_miss_the_planted_months_and_overruns_exceed_their_budget(feeds: Feeds) -> None:
    months: dict[tuple[str, str], set[str]] = {}
    costs: dict[tuple[str, str], tuple[int, int]] = {}
    for county, items in feeds.items.items():
        for _, event in triage(county, items, as_of_utc(feeds.end)).events:
            key = (county, event.update.project_code or event.update.local_id or "")
            if event.update.ledger_month:
                months.setdefault(key, set()).add(event.update.ledger_month)
            if event.update.committed_cost_fen is not None:
                costs[key] = (event.update.committed_cost_fen, event.update.budget_fen or 0)
    due = {f"{date(2025, m, 1):%Y-%m}" for m in range(1, 13)} | {"2026-01"}  # 14 months: 13 ledgers due
    late = {key for key, seen in months.items() if seen != due} | {k for k in costs if k not in months}
    assert late == {(p.county_code, p.key) for p in feeds.planted if p.kind == "late_ledger"}
    over = {key for key, (committed, budget) in costs.items() if committed > budget}
    assert over == {(p.county_code, p.key) for p in feeds.planted if p.kind == "overrun"}
