"""Merging partial county updates: newest source record wins per field, parcels and milestones per key."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.tracker.domain import Change, FieldValue, Stamp, State, flatten, merge, unflatten, value_of
from shared.contracts import ProjectSnapshot
from tests.support.factories import update

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
T1 = T0 + timedelta(days=1)
T2 = T0 + timedelta(days=2)
E_LOW = "00000000-0000-4000-8000-000000000001"
E_HIGH = "ffffffff-0000-4000-8000-000000000001"


Step = tuple[dict[str, Any], datetime, str] | tuple[dict[str, Any], datetime, str, datetime]


def apply_all(steps: list[Step], state: State | None = None) -> State:
    """Each step: facts, record time, event id and, optionally, when intake received it."""
    state = state or {}
    for facts, at, event_id, *received in steps:
        state, _ = merge(state, update(at, f"r-{event_id}", **facts), event_id, *received)
    return state


def values(state: State) -> dict[str, Any]:
    return {path: field.value for path, field in state.items()}


# --- flatten / unflatten -------------------------------------------------------------------------

def test_flatten_drops_identity_and_unknown_facts_and_keys_parcels_and_milestones() -> None:
    item = update(
        T0, name="城西科创产业园", local_id="XH-001",
        land_parcel={"parcel_id": "P-01", "handover_date": "2025-03-01"},
        milestones=[{"name": "开工", "planned": "2026-04-01"}, {"name": "竣工", "actual": "2027-12-31"}],
    )
    assert flatten(item) == {
        "name": "城西科创产业园",
        "land_parcels.P-01.parcel_id": "P-01",
        "land_parcels.P-01.handover_date": "2025-03-01",
        "milestones.开工.name": "开工",
        "milestones.开工.planned": "2026-04-01",
        "milestones.竣工.name": "竣工",
        "milestones.竣工.actual": "2027-12-31",
    }


def test_unflatten_rebuilds_parcels_and_milestones_even_with_dots_in_their_keys() -> None:
    state = apply_all([
        ({"name": "园区", "land_parcel": {"parcel_id": "P.01", "land_price_fen": 5}}, T0, E_LOW),
        ({"land_parcel": {"parcel_id": "P-02", "handover_date": "2025-03-01"}}, T0, E_HIGH),
        ({"milestones": [{"name": "v1.2 验收", "planned": "2026-04-01"}]}, T1, E_LOW),
    ])
    facts = unflatten(state)
    assert facts["name"] == "园区"
    assert sorted(facts["land_parcels"], key=lambda p: p["parcel_id"]) == [
        {"parcel_id": "P-02", "handover_date": "2025-03-01"},
        {"parcel_id": "P.01", "land_price_fen": 5},
    ]
    assert facts["milestones"] == [{"name": "v1.2 验收", "planned": "2026-04-01"}]


def test_an_annual_plan_is_kept_under_its_year_and_next_years_plan_does_not_replace_it() -> None:
    # December's ledger, sent in January, carries 2026's plan; a record with no ledger month is its Beijing year's
    # (17:00 UTC on 31 December is 1 January in Beijing).
    december = update(datetime(2027, 1, 6, tzinfo=UTC), "r-dec", ledger_month="2026-12", annual_plan_fen=1_200_000)
    new_year = update(datetime(2026, 12, 31, 17, tzinfo=UTC), "r-new", annual_plan_fen=2_400_000)
    state, _ = merge({}, new_year, E_LOW)
    state, changes = merge(state, december, E_HIGH)
    snapshot = ProjectSnapshot(project_id=uuid.uuid4(), **unflatten(state))
    assert {(p.year, p.plan_fen) for p in snapshot.annual_plans} == {(2026, 1_200_000), (2027, 2_400_000)}
    assert snapshot.annual_plan_fen == 1_200_000  # the newest record's, whatever its year
    assert "annual_plans.2026.plan_fen" in {c.path for c in changes}


def test_a_months_flat_figures_are_filed_under_it_and_a_figure_left_out_is_not_last_months() -> None:
    february = update(T0, "r-feb", ledger_month="2026-02", investment_month_fen=30, investment_ytd_fen=60)
    march = update(T1, "r-mar", ledger_month="2026-03", investment_month_fen=40,
                   ledger=[{"month": "2026-03", "investment_fen": 45, "progress": "主体封顶"}])  # its own entry wins
    state, _ = merge({}, february, E_LOW)
    state, changes = merge(state, march, E_HIGH)
    facts = unflatten(state)
    assert {e["month"]: {k: v for k, v in e.items() if k != "month"} for e in facts["ledger"]} == {
        "2026-02": {"investment_fen": 30, "ytd_fen": 60}, "2026-03": {"investment_fen": 45, "progress": "主体封顶"}}
    assert (facts["ledger_month"], facts["investment_month_fen"], facts["investment_ytd_fen"]) == ("2026-03", 40, None)
    assert Change("investment_ytd_fen", 60, None) in changes


def test_a_late_record_of_an_earlier_month_does_not_bring_its_figure_back() -> None:
    march = update(T1, "r-mar", ledger_month="2026-03", investment_month_fen=40)
    state, changes = merge({}, march, E_HIGH)
    assert "investment_ytd_fen" not in {c.path for c in changes}  # cleared before it was known: no change to tell
    state, _ = merge(state, update(T0, "r-feb", ledger_month="2026-02", investment_ytd_fen=60), E_LOW)
    assert (value_of(state, "ledger_month"), value_of(state, "investment_ytd_fen")) == ("2026-03", None)
    assert state["ledger.2026-02.ytd_fen"].value == 60


def test_figures_kept_flat_before_months_were_filed_stay_their_months() -> None:
    """A state from before tracker filed flat figures under their month: February's, which came with its month in one
    record, are filed under February when March's record comes, instead of being lost with the flat fields."""
    february = Stamp.of(T0, E_LOW)
    legacy = {"ledger_month": FieldValue("2026-02", february), "investment_ytd_fen": FieldValue(60, february),
              "investment_month_fen": FieldValue(30, Stamp.of(T0 - timedelta(days=40), E_LOW))}  # January's record
    state, _ = merge(legacy, update(T1, "r-mar", ledger_month="2026-03", investment_month_fen=40), E_HIGH)
    ledger = {e["month"]: e for e in unflatten(state)["ledger"]}
    assert ledger["2026-02"] == {"month": "2026-02", "ytd_fen": 60} and ledger["2026-03"]["investment_fen"] == 40


def test_a_plan_sent_with_ledger_entries_is_their_years_unless_it_names_its_own() -> None:
    december = update(datetime(2027, 1, 6, tzinfo=UTC), "r", annual_plan_fen=9, ledger=[{"month": "2026-12", "ytd_fen": 5}])
    assert (flatten(december)["annual_plans.2026.plan_fen"], flatten(december)["annual_plan_year"]) == (9, 2026)
    ahead = update(datetime(2026, 12, 20, tzinfo=UTC), "r", ledger_month="2026-11", annual_plan_fen=7, annual_plan_year=2027)
    assert flatten(ahead)["annual_plans.2027.plan_fen"] == 7 and "annual_plans.2026.plan_fen" not in flatten(ahead)


def test_unflatten_of_empty_state_has_no_parcels_and_no_milestones_key() -> None:
    assert unflatten({}) == {"land_parcels": []}


# --- merge: table-driven -------------------------------------------------------------------------

CASES = [
    pytest.param(
        [({"name": "新名"}, T1, E_LOW), ({"name": "旧名"}, T0, E_LOW)],
        {"name": "新名"}, id="older-record-arriving-late-does-not-overwrite",
    ),
    pytest.param(
        [({"name": "旧名"}, T0, E_LOW), ({"name": "新名"}, T1, E_LOW)],
        {"name": "新名"}, id="newer-record-overwrites",
    ),
    pytest.param(
        [({"name": "新名", "stage": "started"}, T1, E_LOW), ({"name": "旧名", "total_investment_fen": 150}, T0, E_LOW)],
        {"name": "新名", "stage": "started", "total_investment_fen": 150}, id="older-record-fills-fields-nobody-set",
    ),
    pytest.param(
        [({"name": "甲"}, T0, E_HIGH), ({"name": "乙"}, T0, E_LOW)],
        {"name": "甲"}, id="equal-time-larger-event-id-wins-arriving-first",
    ),
    pytest.param(
        [({"name": "乙"}, T0, E_LOW), ({"name": "甲"}, T0, E_HIGH)],
        {"name": "甲"}, id="equal-time-larger-event-id-wins-arriving-second",
    ),
    pytest.param(
        [({"land_parcel": {"parcel_id": "P-01", "handover_date": "2025-03-01", "land_price_fen": 10}}, T1, E_LOW),
         ({"land_parcel": {"parcel_id": "P-01", "land_price_fen": 99, "actual_start_date": "2025-06-01"}}, T0, E_LOW)],
        {"land_parcels": [{"parcel_id": "P-01", "handover_date": "2025-03-01", "land_price_fen": 10, "actual_start_date": "2025-06-01"}]},
        id="one-parcel-merged-field-by-field",
    ),
    pytest.param(
        [({"land_parcel": {"parcel_id": "P-01", "land_price_fen": 10}}, T0, E_LOW),
         ({"land_parcel": {"parcel_id": "P-02", "land_price_fen": 20}}, T1, E_LOW)],
        {"land_parcels": [{"parcel_id": "P-01", "land_price_fen": 10}, {"parcel_id": "P-02", "land_price_fen": 20}]},
        id="different-parcels-kept-side-by-side",
    ),
    pytest.param(
        [({"milestones": [{"name": "开工", "planned": "2026-04-01"}, {"name": "竣工", "planned": "2027-12-31"}]}, T0, E_LOW),
         ({"milestones": [{"name": "开工", "actual": "2026-04-03"}]}, T1, E_LOW),
         ({"milestones": [{"name": "开工", "planned": "2025-01-01"}]}, T0 - timedelta(days=30), E_LOW)],
        {"milestones": [{"name": "开工", "planned": "2026-04-01", "actual": "2026-04-03"}, {"name": "竣工", "planned": "2027-12-31"}]},
        id="milestones-merged-by-name",
    ),
]


@pytest.mark.parametrize(("steps", "expected"), CASES)
def test_merge(steps: list[Step], expected: dict[str, Any]) -> None:
    facts = unflatten(apply_all(steps))
    for key, value in expected.items():
        got = facts[key]
        if key == "land_parcels":
            got = sorted(got, key=lambda p: p["parcel_id"])
        assert got == value, key
    assert set(facts) - {"land_parcels"} == set(expected) - {"land_parcels"}


def test_merge_reports_only_what_actually_changed() -> None:
    state, changes = merge({}, update(T0, name="园区", stage="signed"), E_LOW)
    assert sorted(changes, key=lambda c: c.path) == [Change("name", None, "园区"), Change("stage", None, "signed")]
    state, changes = merge(state, update(T1, name="园区", stage="started"), E_LOW)
    assert changes == [Change("stage", "signed", "started")]
    assert state["name"].stamp == Stamp.of(T1, E_LOW)  # same value, newer source: the field's source moves on
    _, changes = merge(state, update(T0, name="旧名"), E_HIGH)
    assert changes == []


def test_same_event_applied_twice_changes_nothing() -> None:
    item = update(T0, name="园区", land_parcel={"parcel_id": "P-01", "land_price_fen": 5}, milestones=[{"name": "开工", "planned": "2026-04-01"}])
    once, first = merge({}, item, E_LOW)
    twice, second = merge(once, item, E_LOW)
    assert first and second == []
    assert twice == once


def test_merge_does_not_mutate_the_state_it_was_given() -> None:
    state, _ = merge({}, update(T0, name="旧名"), E_LOW)
    before = dict(state)
    merge(state, update(T1, name="新名"), E_LOW)
    assert state == before


def test_record_times_in_other_zones_compare_as_instants() -> None:
    beijing = timezone(timedelta(hours=8))
    # 15:00 in Beijing is 07:00 UTC: earlier than T0 (08:00 UTC) although "15" > "08" as local text.
    state = apply_all([({"name": "UTC 08:00"}, T0, E_LOW), ({"name": "北京 15:00"}, datetime(2026, 1, 5, 15, 0, tzinfo=beijing), E_HIGH)])
    assert state["name"].value == "UTC 08:00"


# --- corrections: the same record time, other content, received later -----------------------------

R0 = datetime(2026, 2, 1, 2, 0, tzinfo=UTC)
R1 = R0 + timedelta(hours=5)


@pytest.mark.parametrize("correction_first", [False, True])
def test_a_correction_received_later_wins_whatever_its_event_id_and_arrival_order(correction_first: bool) -> None:
    original = ({"total_investment_fen": 100}, T0, E_HIGH, R0)
    correction = ({"total_investment_fen": 120}, T0, E_LOW, R1)  # a smaller id: the old tie-break would drop it
    steps = [correction, original] if correction_first else [original, correction]
    assert apply_all(steps)["total_investment_fen"].value == 120


def test_a_correction_is_named_with_the_event_it_corrects() -> None:
    state, _ = merge({}, update(T0, name="园区", total_investment_fen=100), E_HIGH, R0)
    _, changes = merge(state, update(T0, name="园区", total_investment_fen=120), E_LOW, R1)
    assert changes == [Change("total_investment_fen", 100, 120)]
    assert changes[0].corrects == E_HIGH
    _, later = merge(state, update(T1, total_investment_fen=130), E_LOW, R1)
    assert later[0].corrects is None  # a newer record is an update, not a correction


def test_fields_stamped_before_receipt_times_were_kept_lose_to_a_correction() -> None:
    legacy = {"total_investment_fen": FieldValue(100, Stamp(Stamp.of(T0, E_HIGH).record_time, E_HIGH))}
    state, changes = merge(legacy, update(T0, total_investment_fen=120), E_LOW, R0)
    assert state["total_investment_fen"].value == 120 and changes[0].corrects == E_HIGH


def test_stamp_orders_by_record_time_then_receipt_then_event_id() -> None:
    assert Stamp.of(T1, E_LOW, R0).newer_than(Stamp.of(T0, E_HIGH, R1))
    assert Stamp.of(T0, E_LOW, R1).newer_than(Stamp.of(T0, E_HIGH, R0))
    assert Stamp.of(T0, E_HIGH, R0).newer_than(Stamp.of(T0, E_LOW, R0))


def test_stamp_orders_by_time_then_event_id() -> None:
    assert Stamp.of(T1, E_LOW).newer_than(Stamp.of(T0, E_HIGH))
    assert Stamp.of(T0, E_HIGH).newer_than(Stamp.of(T0, E_LOW))
    assert not Stamp.of(T0, E_LOW).newer_than(Stamp.of(T0, E_LOW))
    assert Stamp.of(T0, E_LOW).newer_than(None)
    # microseconds count: a record a microsecond later is newer
    assert Stamp.of(T0 + timedelta(microseconds=1), E_LOW).newer_than(Stamp.of(T0, E_HIGH))


# --- properties: order-insensitive and idempotent -------------------------------------------------

FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "name": st.sampled_from(["城西科创产业园", "云栖小镇", "旧名称"]),
    "stage": st.sampled_from(["signed", "started", "completed"]),
    "total_investment_fen": st.integers(min_value=0, max_value=10**12),
    "land_parcel": st.builds(
        lambda pid, price, handover: {"parcel_id": pid, **({"land_price_fen": price} if price is not None else {}),
                                      **({"handover_date": handover} if handover else {})},
        st.sampled_from(["P-01", "P-02"]), st.none() | st.integers(0, 10**9), st.none() | st.dates(date(2024, 1, 1), date(2026, 12, 31)),
    ),
    "ledger_month": st.sampled_from(["2026-11", "2026-12", "2027-01"]),  # its figures are filed under it
    "investment_ytd_fen": st.integers(min_value=0, max_value=10**9),
    "annual_plan_fen": st.integers(min_value=0, max_value=10**9),  # filed under its year
    "milestones": st.lists(
        st.builds(lambda name, planned: {"name": name, "planned": planned}, st.sampled_from(["开工", "竣工"]), st.dates(date(2024, 1, 1), date(2027, 12, 31))),
        min_size=1, max_size=2, unique_by=lambda m: m["name"],
    ),
}

updates_strategy = st.lists(
    st.tuples(
        st.fixed_dictionaries({}, optional=FIELD_VALUES).filter(bool),
        st.integers(min_value=0, max_value=3),  # few distinct record times: ties are common
        st.integers(min_value=0, max_value=2),  # few distinct receipt times: corrections and their ties are common
    ),
    min_size=1, max_size=8,
)


def as_steps(drawn: list[tuple[dict[str, Any], int, int]]) -> list[Step]:
    return [(facts, T0 + timedelta(hours=hour), str(uuid.UUID(int=index + 1)), R0 + timedelta(minutes=received))
            for index, (facts, hour, received) in enumerate(drawn)]


@settings(max_examples=200, deadline=None)
@given(drawn=updates_strategy, data=st.data())
def test_any_order_gives_the_same_state(drawn: list[tuple[dict[str, Any], int, int]], data: st.DataObject) -> None:
    steps = as_steps(drawn)
    shuffled = data.draw(st.permutations(steps))
    assert apply_all(shuffled) == apply_all(steps)


@settings(max_examples=200, deadline=None)
@given(drawn=updates_strategy)
def test_applying_everything_twice_equals_once(drawn: list[tuple[dict[str, Any], int, int]]) -> None:
    steps = as_steps(drawn)
    once = apply_all(steps)
    assert apply_all(steps, once) == once
    assert apply_all(steps + steps) == once


@settings(max_examples=200, deadline=None)
@given(drawn=updates_strategy)
def test_every_field_holds_the_value_of_its_newest_record(drawn: list[tuple[dict[str, Any], int, int]]) -> None:
    steps = as_steps(drawn)
    expected: dict[str, FieldValue] = {}
    for facts, at, event_id, *received in steps:
        stamp = Stamp.of(at, event_id, *received)
        for path, value in flatten(update(at, "r", **facts)).items():
            newest = expected.get(path)
            if newest is None or (stamp.record_time, stamp.received_at, stamp.event_id) > (
                    newest.stamp.record_time, newest.stamp.received_at, newest.stamp.event_id):
                expected[path] = FieldValue(value, stamp)
    assert apply_all(steps) == expected
