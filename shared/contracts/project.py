"""Project facts as county systems report them (partial updates) and as tracker knows them (snapshots)."""
from __future__ import annotations

from datetime import date
from enum import StrEnum
from uuid import UUID

from pydantic import Field, model_validator

from shared.contracts.base import Contract, Event
from shared.contracts.types import AreaM2, Fen, ProjectCode, ShortText, UtcDatetime


class Stage(StrEnum):
    reserve = "reserve"  # 储备
    negotiating = "negotiating"  # 在谈
    signed = "signed"  # 签约
    started = "started"  # 开工
    completed = "completed"  # 竣工
    in_production = "in_production"  # 投产
    at_capacity = "at_capacity"  # 达产
    cancelled = "cancelled"  # 调出


class Nature(StrEnum):
    new = "new"  # 新建
    continuing = "continuing"  # 续建
    reserve = "reserve"  # 储备


class DelayCause(StrEnum):
    """The six government-caused causes of 《闲置土地处置办法》 Art. 8, plus force majeure."""

    land_not_delivered = "land_not_delivered"
    plan_revised = "plan_revised"
    new_policy = "new_policy"
    petitions = "petitions"
    military_or_relics = "military_or_relics"
    other_government_act = "other_government_act"
    force_majeure = "force_majeure"


class GovernmentDelay(Contract):
    """A dated pause of the land clock; `end` None means it is still going on."""

    start: date
    end: date | None = None
    cause: DelayCause
    blocking_department: ShortText
    reason: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _ordered(self) -> GovernmentDelay:
        if self.end is not None and self.end < self.start:
            raise ValueError("end is before start")
        return self


class LandParcel(Contract):
    """One parcel; every field but the id may be missing from a given source."""

    parcel_id: ShortText
    agreed_start_date: date | None = Field(default=None, description="约定动工开发日期")
    handover_date: date | None = Field(default=None, description="actual handover of the land")
    land_price_fen: Fen | None = None
    required_area_m2: AreaM2 | None = None
    developed_area_m2: AreaM2 | None = None
    investment_excl_land_fen: Fen | None = Field(default=None, description="investment excluding land price and taxes")
    actual_start_date: date | None = Field(default=None, description="动工开发 date under land law, not the stage 开工")
    last_progress_date: date | None = Field(default=None, description="last physical progress on site")
    government_delays: tuple[GovernmentDelay, ...] | None = None


class OverrunApproval(Contract):
    approved: bool
    approved_on: date | None = None
    reference: str | None = Field(default=None, max_length=200)


class Milestone(Contract):
    name: ShortText
    planned: date | None = None
    actual: date | None = None


class ProjectFacts(Contract):
    """The fields a county system may report. All optional: sources know different things."""

    name: ShortText | None = None
    stage: Stage | None = None
    nature: Nature | None = None
    government_funded: bool | None = None
    leader: ShortText | None = Field(default=None, description="包抓领导 / leader in charge")
    lead_department: ShortText | None = Field(default=None, description="牵头部门")
    responsible_unit: ShortText | None = Field(default=None, description="责任单位")
    total_investment_fen: Fen | None = None
    annual_plan_fen: Fen | None = None
    ledger_month: str | None = Field(default=None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="month the ledger figures are for")
    investment_month_fen: Fen | None = None
    investment_ytd_fen: Fen | None = None
    budget_fen: Fen | None = Field(default=None, description="approved budget (the county's chosen base)")
    budget_adjustment_fen: Fen | None = Field(default=None, description="approved adjustments on top of the budget")
    committed_cost_fen: Fen | None = None
    spent_cost_fen: Fen | None = None
    overrun_approval: OverrunApproval | None = None
    land_parcel: LandParcel | None = None
    milestones: tuple[Milestone, ...] | None = None


class ProjectUpdate(ProjectFacts):
    """One item of a county's batch: who the project is, what changed, and where it came from."""

    project_code: ProjectCode | None = None
    local_id: ShortText | None = Field(default=None, description="the county system's own id")
    source_system: ShortText
    source_record_id: ShortText
    source_record_time: UtcDatetime

    @model_validator(mode="after")
    def _identified(self) -> ProjectUpdate:
        if self.project_code is None and self.local_id is None:
            raise ValueError("either project_code or local_id is required")
        return self


class ProjectUpdated(Event):
    """intake → tracker: a validated update from a county system."""

    update: ProjectUpdate


class ProjectSnapshot(ProjectFacts):
    """What tracker knows now; parcels keyed by id, every parcel merged field by field."""

    project_id: UUID
    project_code: ProjectCode | None = None
    local_ids: tuple[str, ...] = ()
    land_parcels: tuple[LandParcel, ...] = ()
    land_parcel: None = None  # snapshots carry every parcel in land_parcels
    last_source_record_time: UtcDatetime | None = None


class ProjectStateChanged(Event):
    """tracker → escalation: what changed, and the whole new state."""

    project_id: UUID
    version: int = Field(ge=1, description="grows by one with every change of this project")
    changed_fields: tuple[str, ...]
    previous_stage: Stage | None = None
    snapshot: ProjectSnapshot
    caused_by: UUID = Field(description="event_id of the ProjectUpdated that caused it")
    source_system: str
