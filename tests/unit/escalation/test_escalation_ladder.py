"""The escalation ladder: raise at the found level, climb only, resolve on clearance or a new episode."""
from __future__ import annotations

import uuid

import pytest

from services.escalation.domain.findings import Audience, Finding
from services.escalation.domain.ladder import (
    CONDITION_CLEARED,
    PERIOD_ENDED,
    Decision,
    Escalate,
    Nothing,
    Open,
    Raise,
    Resolve,
    decide,
    escalation_id,
    escalation_key,
)

KEY = "p-1|R1.idle_land|parcel:P-017"


def finding(level: int, occurrence: str = "A:2025-03-01") -> Finding:
    return Finding("R1.idle_land", 1, "parcel:P-017", occurrence, level, f"L{level}",
                   (Audience("department", "自然资源局", "action"),), {"type": "A"}, "摘要")


OPEN_L1 = Open(KEY, "A:2025-03-01", 1)
OPEN_L3 = Open(KEY, "A:2025-03-01", 3)


@pytest.mark.parametrize(
    ("current", "found", "expected"),
    [
        pytest.param(None, None, (Nothing(),), id="nothing-open-nothing-found"),
        pytest.param(None, finding(1), (Raise(finding(1)),), id="raise-new"),
        pytest.param(None, finding(4), (Raise(finding(4)),), id="first-seen-at-level-4-raises-4-only"),
        pytest.param(OPEN_L1, finding(3), (Escalate(finding(3), 1),), id="climb-skipping-levels"),
        pytest.param(OPEN_L3, finding(3), (Nothing(),), id="same-level-nothing"),
        pytest.param(OPEN_L3, finding(2), (Nothing(),), id="lower-level-never-descends"),
        pytest.param(OPEN_L3, None, (Resolve(OPEN_L3),), id="condition-cleared-resolves"),
        pytest.param(OPEN_L3, finding(1, "B:2026-01-01"), (Resolve(OPEN_L3), Raise(finding(1, "B:2026-01-01"))),
                     id="new-occurrence-resolves-then-raises"),
    ],
)
def test_decide(current: Open | None, found: Finding | None, expected: tuple[Decision, ...]) -> None:
    assert decide(current, found) == expected


def test_escalation_key_names_project_rule_and_subject() -> None:
    assert escalation_key("p-1", "R1.idle_land", "parcel:P-017") == KEY
    assert escalation_key(uuid.UUID(int=1), "R2.budget_overrun", "budget") == (
        "00000000-0000-0000-0000-000000000001|R2.budget_overrun|budget")


def test_escalation_id_is_a_stable_uuid5() -> None:
    a = escalation_id("p-1", "R1.idle_land", "parcel:P-017", "A:2025-03-01", 1)
    assert a == escalation_id("p-1", "R1.idle_land", "parcel:P-017", "A:2025-03-01", 1)
    assert a.version == 5
    # Pinned: ids already stored must never change (namespace or name format).
    assert str(a) == "3152c57a-c9b7-5ec1-9388-a136365925f2"


@pytest.mark.parametrize(
    "other",
    [
        pytest.param(("p-2", "R1.idle_land", "parcel:P-017", "A:2025-03-01", 1), id="project"),
        pytest.param(("p-1", "R2.budget_overrun", "parcel:P-017", "A:2025-03-01", 1), id="rule"),
        pytest.param(("p-1", "R1.idle_land", "parcel:P-018", "A:2025-03-01", 1), id="subject"),
        pytest.param(("p-1", "R1.idle_land", "parcel:P-017", "B:2025-03-01", 1), id="occurrence"),
        pytest.param(("p-1", "R1.idle_land", "parcel:P-017", "A:2025-03-01", 2), id="sequence"),
    ],
)
def test_escalation_id_differs_by_every_part(other: tuple[str, str, str, str, int]) -> None:
    assert escalation_id(*other) != escalation_id("p-1", "R1.idle_land", "parcel:P-017", "A:2025-03-01", 1)


def test_a_record_whose_period_ended_closes_as_ended_not_as_cleared() -> None:
    assert decide(OPEN_L3, None) == (Resolve(OPEN_L3, CONDITION_CLEARED),)
    assert decide(OPEN_L3, None, period_ended=True) == (Resolve(OPEN_L3, PERIOD_ENDED),)
    assert decide(OPEN_L3, finding(1, "B:2026-01-01"), period_ended=True) == (Resolve(OPEN_L3, PERIOD_ENDED), Raise(finding(1, "B:2026-01-01")))
    assert decide(OPEN_L1, finding(1), period_ended=True) == (Nothing(),)  # a finding that stands is not closed by the flag
