"""Merging partial updates into a project's state, field by field, newest source record wins.

State is a flat map `path -> Field(value, stamp)`. A stamp orders source records: their record
time, then the time intake received them, then their event id (a digest of the content); an update
sets a path only if its stamp is newer. That makes applying updates idempotent and order-insensitive
per field: county systems send different fields at different times, an older record never
overwrites what a newer one set, and a correction of a record (same record time, other content,
so another event id) received later wins over the record it corrects.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from shared.clock import beijing_date
from shared.contracts import ProjectUpdate

PARCELS = "land_parcels"
MILESTONES = "milestones"
ANNUAL_PLANS = "annual_plans"
LEDGER = "ledger"
# The flat "this month" figures (of `ledger_month`) and their names in a ledger entry.
MONTH_FIGURES = {"investment_month_fen": "investment_fen", "investment_ytd_fen": "ytd_fen"}
# Lists merged item by item (each item's fields newest-wins), keyed by the field that names an item.
KEYED: dict[str, str] = {
    PARCELS: "parcel_id",
    MILESTONES: "name",
    "central_funds": "batch_id",
    "sme_payments": "payment_id",
    LEDGER: "month",
    "expropriation": "as_of",
    "reported_problems": "key",
    ANNUAL_PLANS: "year",
}
IDENTITY_FIELDS = {"project_code", "local_id", "source_system", "source_record_id", "source_record_time"}


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")  # ISO UTC with microseconds: compares as text


@dataclass(frozen=True, slots=True)
class Stamp:
    record_time: str
    event_id: str
    received_at: str = ""  # "" for fields stamped before corrections were ordered by receipt: any receipt is later

    @classmethod
    def of(cls, record_time: datetime, event_id: str, received_at: datetime | None = None) -> Stamp:
        return cls(_utc_text(record_time), event_id, _utc_text(received_at) if received_at else "")

    def key(self) -> tuple[str, str, str]:
        return self.record_time, self.received_at, self.event_id

    def newer_than(self, other: Stamp | None) -> bool:
        return other is None or self.key() > other.key()


@dataclass(frozen=True, slots=True)
class FieldValue:
    value: Any
    stamp: Stamp


@dataclass(frozen=True, slots=True)
class Change:
    path: str
    old: Any
    new: Any
    # The event whose value this replaces when it had the same record time: the record was corrected.
    corrects: str | None = field(default=None, compare=False)


State = dict[str, FieldValue]


def plan_year(update: ProjectUpdate) -> int:
    """The year an update's annual plan is for: the one it names, else its ledger month's (December's ledger, sent in
    January, carries the old year's plan), else its newest ledger entry's, else the Beijing year of its record."""
    if update.annual_plan_year is not None:
        return update.annual_plan_year
    month = update.ledger_month or max((entry.month for entry in update.ledger or ()), default=None)
    return int(month[:4]) if month else beijing_date(update.source_record_time).year


def _file_month_figures(data: dict[str, Any], month: str) -> None:
    """A record's flat figures are its ledger month's: they are filed in that month's entry (the record's own entry
    for the month wins), so each month keeps its figures when the next one comes; and a figure the record leaves out
    is cleared from the flat fields, so last month's year to date never stands as this month's."""
    entries = data.setdefault(LEDGER, [])
    entry = next((e for e in entries if e["month"] == month), None)
    if entry is None:
        entry = {"month": month}
        entries.append(entry)
    for flat, entry_field in MONTH_FIGURES.items():
        if flat in data:
            entry.setdefault(entry_field, data[flat])
        else:
            data[flat] = None


def flatten(update: ProjectUpdate) -> dict[str, Any]:
    """The update's known facts as paths; list items by their key (parcels by id, milestones by name, …)."""
    data = update.model_dump(mode="json", exclude_none=True, exclude=IDENTITY_FIELDS)
    if "land_parcel" in data:
        data[PARCELS] = [data.pop("land_parcel")]  # an update carries one parcel, a snapshot all of them
    if update.ledger_month:
        _file_month_figures(data, update.ledger_month)
    if "annual_plan_fen" in data:  # also filed under its year, which next year's plan does not overwrite
        data["annual_plan_year"] = plan_year(update)  # the newest plan's year, named or not
        data[ANNUAL_PLANS] = [{"year": data["annual_plan_year"], "plan_fen": data["annual_plan_fen"]}]
    flat: dict[str, Any] = {}
    for name, value in data.items():
        if name not in KEYED:
            flat[name] = value
            continue
        for item in value:
            flat.update({f"{name}.{item[KEYED[name]]}.{key}": item_value for key, item_value in item.items()})
    return flat


def _file_earlier_month_figures(state: State) -> State:
    """A state written before flat figures were filed under their month: the ones that came with its ledger month (the
    same record, so the same stamp) are filed under that month too, so the next month's record does not lose them."""
    month = state.get("ledger_month")
    if month is None:
        return state
    filed = state
    for flat, entry_field in MONTH_FIGURES.items():
        figure, path = state.get(flat), f"{LEDGER}.{month.value}.{entry_field}"
        if figure is not None and figure.value is not None and figure.stamp == month.stamp and path not in state:
            filed = {**filed, path: figure, f"{LEDGER}.{month.value}.month": FieldValue(month.value, month.stamp)}
    return filed


def merge(state: State, update: ProjectUpdate, event_id: str, received_at: datetime | None = None) -> tuple[State, list[Change]]:
    """Apply one update received at `received_at`; returns the new state and what actually changed."""
    stamp = Stamp.of(update.source_record_time, event_id, received_at)
    state = _file_earlier_month_figures(state)
    merged = dict(state)
    changes: list[Change] = []
    for path, value in flatten(update).items():
        current = state.get(path)
        if not stamp.newer_than(current.stamp if current else None):
            continue
        merged[path] = FieldValue(value, stamp)
        if current is None:
            if value is not None:  # a figure cleared before it was ever known changed nothing (it is kept for its stamp)
                changes.append(Change(path, None, value))
        elif current.value != value:
            same_record = current.stamp.record_time == stamp.record_time
            changes.append(Change(path, current.value, value, current.stamp.event_id if same_record else None))
    return merged, changes


def unflatten(state: State) -> dict[str, Any]:
    """The state as nested facts, ready for a ProjectSnapshot."""
    facts: dict[str, Any] = {}
    items: dict[str, dict[str, dict[str, Any]]] = {}
    for path, fv in sorted(state.items()):
        collection = path.split(".", 1)[0]
        if collection in KEYED and "." in path:
            item_key, key = path[len(collection) + 1 :].rsplit(".", 1)
            items.setdefault(collection, {}).setdefault(item_key, {})[key] = fv.value
        else:
            facts[path] = fv.value
    for collection, by_key in items.items():
        facts[collection] = list(by_key.values())
    facts.setdefault(PARCELS, [])
    return facts


def value_of(state: State, path: str) -> Any:
    """A top-level fact (name, stage), without unflattening the whole state."""
    found = state.get(path)
    return found.value if found else None


def latest_record_time(state: State) -> str | None:
    return max((fv.stamp.record_time for fv in state.values()), default=None)


def encode_state(state: State) -> dict[str, list[Any]]:
    return {path: [fv.value, fv.stamp.record_time, fv.stamp.event_id, fv.stamp.received_at] for path, fv in state.items()}


def decode_state(raw: dict[str, list[Any]] | None) -> State:
    """Rows written before receipt times were kept hold three items per field."""
    return {path: FieldValue(item[0], Stamp(*item[1:4])) for path, item in (raw or {}).items()}
