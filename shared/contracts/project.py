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


class BaselineReason(StrEnum):
    """Why a milestone's planned date moved (倒排工期 changes must give one)."""

    policy = "policy"
    price = "price"
    geology = "geology"
    government_caused = "government_caused"
    force_majeure = "force_majeure"


class Milestone(Contract):
    """A dated step; the stage steps are named 开工, 竣工 and 投产 (the 开工率/竣工率/投产率 read them)."""

    name: ShortText
    planned: date | None = None
    actual: date | None = None
    baseline: date | None = Field(default=None, description="the first planned date, kept visible when the plan moved")
    baseline_reason: BaselineReason | None = None
    blocking_department: ShortText | None = Field(default=None, description="the department whose approval or clearing holds it up")


class Colour(StrEnum):
    green = "green"
    yellow = "yellow"
    red = "red"


class ApprovalKind(StrEnum):
    approved = "approved"  # 核准 (enterprise projects): lapses if not started within 2 years
    filed = "filed"  # 备案
    examined = "examined"  # 审批 (government investment)


class ProjectApproval(Contract):
    kind: ApprovalKind
    approved_on: date
    extended_until: date | None = Field(default=None, description="an approved extension (at most one, at most 1 year)")
    reference: str | None = Field(default=None, max_length=200)


class CentralFund(Contract):
    """A batch of 中央预算内 funds: issued in a year, to be started the same year."""

    batch_id: ShortText
    issued_on: date
    amount_fen: Fen
    paid_fen: Fen | None = Field(default=None, description="paid out so far")


class SmePayment(Contract):
    """Money owed to a small or medium supplier after acceptance (保障中小企业款项支付条例)."""

    payment_id: ShortText
    supplier: ShortText | None = None
    accepted_on: date
    amount_fen: Fen
    agreed_days: int | None = Field(default=None, ge=1, le=60, description="agreed term; the law allows at most 60 days")
    paid_on: date | None = None


class LedgerMonth(Contract):
    """One month of the ledger (台账): the plan and what was done."""

    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")
    plan_fen: Fen | None = Field(default=None, description="investment planned for the month")
    investment_fen: Fen | None = Field(default=None, description="investment completed in the month")
    ytd_fen: Fen | None = Field(default=None, description="investment completed in the year up to the month's end")
    progress: str | None = Field(default=None, max_length=1000, description="形象进度 in words")
    problems: str | None = Field(default=None, max_length=2000, description="存在问题 as the unit wrote them")
    next_month_plan: str | None = Field(default=None, max_length=1000, description="下月计划 in words")
    next_month_plan_fen: Fen | None = Field(default=None, description="investment planned for the next month (下月计划投资)")


class AnnualPlan(Contract):
    """年度计划投资 of one year. Tracker files each update's annual_plan_fen under the year it is for (its
    annual_plan_year, else its ledger month's year, ...); so a plan stays its year's when the next year's comes in."""

    year: int = Field(ge=2000, le=2100)
    plan_fen: Fen


class ReportedProblem(Contract):
    """A difficulty a project reports (存在问题 / 问题清单 row), kept as written; merged by key."""

    key: ShortText = Field(description="the county's own number for the problem, or a digest of its normalised text")
    description: str = Field(min_length=1, max_length=2000, description="the problem as the unit wrote it")
    category: ShortText | None = Field(default=None, description="用地, 规划, 审批, 资金, 征迁, 水电气配套, 施工环境, 其他, ...")
    responsible_department: ShortText | None = None
    reported_on: date | None = None
    month: str | None = Field(default=None, pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="ledger month it was reported in")


class ExpropriationProgress(Contract):
    """征迁 progress on a date: households signed of the total to be moved."""

    as_of: date
    households_total: int = Field(ge=0, le=1_000_000)
    households_signed: int = Field(ge=0, le=1_000_000)

    @model_validator(mode="after")
    def _signed_within_total(self) -> ExpropriationProgress:
        if self.households_signed > self.households_total:
            raise ValueError("households_signed exceeds households_total")
        return self


class ProjectFacts(Contract):
    """The fields a county system may report. All optional: sources know different things."""

    name: ShortText | None = None
    stage: Stage | None = None
    nature: Nature | None = None
    government_funded: bool | None = None
    leader: ShortText | None = Field(default=None, description="包抓领导 / leader in charge")
    lead_department: ShortText | None = Field(default=None, description="牵头部门")
    responsible_unit: ShortText | None = Field(default=None, description="责任单位")
    owner_unit: ShortText | None = Field(default=None, description="建设单位 / the project owner")
    total_investment_fen: Fen | None = None
    annual_plan_fen: Fen | None = None
    annual_plan_year: int | None = Field(default=None, ge=2000, le=2100, description=(
        "the year annual_plan_fen is for (next year's plan sent in December); without it, the ledger month's year, "
        "else the year of the newest ledger entry, else the record's Beijing year"))
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
    township: ShortText | None = Field(default=None, description="乡镇/街道")
    stats_start_date: date | None = Field(default=None, description="统计新开工 date: counts for the statistics, not for land law")
    stats_enrolled_on: date | None = Field(default=None, description="入统 date")
    approval: ProjectApproval | None = None
    central_funds: tuple[CentralFund, ...] | None = None
    sme_payments: tuple[SmePayment, ...] | None = None
    ledger: tuple[LedgerMonth, ...] | None = Field(default=None, description="monthly ledger entries, merged by month")
    self_reported_colour: Colour | None = Field(default=None, description="the unit's own colour: may lower a computed one, never raise it")
    expropriation: tuple[ExpropriationProgress, ...] | None = Field(default=None, description="征迁 progress by date, merged by as_of")
    reported_problems: tuple[ReportedProblem, ...] | None = Field(default=None, description="存在问题 by key, merged by key")


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
    received_via: str | None = Field(default=None, max_length=300, description="the upload or call that brought it, e.g. `upload <job> (<file>)`")
    submitted_by: str | None = Field(default=None, max_length=200, description="who sent it: the token's label and prefix, or the NATS account")


class ProjectSnapshot(ProjectFacts):
    """What tracker knows now; parcels keyed by id, every parcel merged field by field."""

    project_id: UUID
    project_code: ProjectCode | None = None
    local_ids: tuple[str, ...] = ()
    land_parcels: tuple[LandParcel, ...] = ()
    land_parcel: None = None  # snapshots carry every parcel in land_parcels
    annual_plans: tuple[AnnualPlan, ...] = Field(default=(), description="年度计划投资 by year; annual_plan_fen is the newest reported")
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
    source_record_time: UtcDatetime | None = Field(default=None, description="when the county system recorded the update that caused it")
