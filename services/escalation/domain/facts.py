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
class MilestoneFact:
    """A dated step; the stage steps are named 开工, 竣工 and 投产."""

    name: str
    planned: date | None = None
    actual: date | None = None
    baseline: date | None = None
    blocking_department: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerEntry:
    month: str  # YYYY-MM
    plan_fen: int | None = None
    investment_fen: int | None = None
    ytd_fen: int | None = None
    # 下月计划: what this month's ledger promises for the month after (R5.plan_missed checks it there).
    next_month_plan: str | None = None
    next_month_plan_fen: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CentralFundBatch:
    batch_id: str
    issued_on: date
    amount_fen: int
    paid_fen: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SmePaymentFact:
    payment_id: str
    accepted_on: date
    amount_fen: int
    supplier: str | None = None
    agreed_days: int | None = None
    paid_on: date | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ApprovalFact:
    kind: str  # approved (核准) | filed (备案) | examined (审批)
    approved_on: date
    extended_until: date | None = None


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
    stage: str | None = None  # a shared.contracts.Stage value
    nature: str | None = None
    township: str | None = None
    annual_plan_fen: int | None = None  # the newest reported, whatever its year
    annual_plans: tuple[tuple[int, int], ...] = ()  # (year, plan fen): each plan under the year it is for
    ledger: tuple[LedgerEntry, ...] = ()  # sorted by month; the flat ledger_month figures are folded in
    milestones: tuple[MilestoneFact, ...] = ()
    central_funds: tuple[CentralFundBatch, ...] = ()
    sme_payments: tuple[SmePaymentFact, ...] = ()
    approval: ApprovalFact | None = None
    stats_start_date: date | None = None  # 统计新开工
    stats_enrolled_on: date | None = None  # 入统
    self_reported_colour: str | None = None  # green | yellow | red
    last_reported_on: date | None = None  # Beijing date of the newest source record

    def annual_plan(self, year: int) -> int | None:
        """年度计划投资 for `year`, None when none was reported for it. A project whose plan came before plans were kept
        by year has only annual_plan_fen, taken as every year's (as it always was)."""
        if self.annual_plans:
            return next((plan for plan_year, plan in self.annual_plans if plan_year == year), None)
        return self.annual_plan_fen

    @property
    def has_annual_plan(self) -> bool:
        return bool(self.annual_plan_fen) or any(plan for _, plan in self.annual_plans)

    def milestone(self, name: str) -> MilestoneFact | None:
        return next((m for m in self.milestones if m.name == name), None)

    @property
    def display_name(self) -> str:
        """How a summary names the project: its name, else its code, else its id."""
        return self.name or self.project_code or self.project_id
