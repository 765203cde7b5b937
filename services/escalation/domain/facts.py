"""The project facts the rules read, decoupled from the wire contracts."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class Delay:
    """A confirmed government-caused delay or force majeure; `end` None means still going on."""

    start: date
    end: date | None
    cause: str
    blocking_department: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Parcel:
    """One land parcel; the dates are the land-law ones (动工开发, last physical progress)."""

    parcel_id: str
    agreed_start_date: date | None = None
    handover_date: date | None = None
    land_price_fen: int | None = None
    required_area_m2: int | None = None
    developed_area_m2: int | None = None
    investment_excl_land_fen: int | None = None
    actual_start_date: date | None = None
    last_progress_date: date | None = None
    delays: tuple[Delay, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ProjectFacts:
    """What is known about one project now; every figure may be missing."""

    project_id: str
    name: str | None = None
    project_code: str | None = None
    county_code: str
    government_funded: bool | None = None
    leader: str | None = None
    lead_department: str | None = None
    responsible_unit: str | None = None
    total_investment_fen: int | None = None
    budget_fen: int | None = None
    budget_adjustment_fen: int | None = None
    committed_cost_fen: int | None = None
    spent_cost_fen: int | None = None
    overrun_approved: bool = False
    parcels: tuple[Parcel, ...] = ()

    @property
    def display_name(self) -> str:
        """How a summary names the project: its name, else its code, else its id."""
        return self.name or self.project_code or self.project_id
