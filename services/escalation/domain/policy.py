"""A county's escalation policy: every threshold and receiving department as a setting."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields
from decimal import Decimal
from fractions import Fraction
from typing import Any

# shared.contracts.Stage values, in pipeline order (the domain imports no contracts).
STAGES: tuple[str, ...] = ("reserve", "negotiating", "signed", "started", "completed", "in_production", "at_capacity")
SME_MAX_DAYS_BY_LAW = 60  # 保障中小企业款项支付条例 Art. 8: a contract may agree at most 60 days
APPROVAL_EXTENSION_MAX_BY_LAW = 12  # 企业投资项目核准和备案管理条例 Art. 12: one extension, at most 1 year


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """Defaults are the national rules plus the speeches' local numbers (the "national" preset)."""

    policy_version: int = 2  # config/policies/default.toml's: 2 added R5.plan_missed's settings
    county_code: str | None = None
    county_name: str | None = None
    preset: str = "national"

    # R1 idle land (闲置土地处置办法); the warnings are local practice [L].
    idle_warning_months: tuple[int, int] = (9, 11)
    idle_fee_months: int = 12
    idle_reclaim_months: int = 24
    deemed_start_after_handover_months: int = 12
    idle_fee_percent: Decimal = Decimal("20")
    stalled_developed_fraction: Fraction = Fraction(1, 3)
    stalled_investment_fraction: Fraction = Fraction(1, 4)

    # R2 budget overrun; which base the county feeds as budget_fen (预算, 概算, contract) is a label here.
    overrun_base: str = "预算"
    overrun_case_percent: Decimal = Decimal("20")
    overrun_strictly_greater: bool = True

    # R3 central-budget funds (当年下达、当年开工) [L].
    central_start_yellow_months: int = 3
    central_pay_window_months: int = 12  # the payment ratio is due to reach 100% this long after issue
    central_pay_red_points: Decimal = Decimal("30")  # red when more than this many points under 序时

    # R4 milestones and the monthly ledger [L].
    milestone_warning_days: int = 7
    milestone_explanation_workdays: int = 5
    milestone_red_after_months: int = 0  # 0: no red of its own (the case ladder climbs); 银川: 3
    ledger_due_day: int = 5
    reporting_stages: tuple[str, ...] = ("started",)  # projects that owe the monthly ledger

    # R5 investment against 序时进度, in percentage points behind [L, 银川 bands].
    progress_yellow_points: Decimal = Decimal("10")  # yellow from this many points behind, inclusive
    progress_red_points: Decimal = Decimal("30")  # red when strictly more behind
    progress_window_months: int = 3  # the recent window graded beside the year to date

    # R5 下月计划 against next month's ledger (以目标倒逼进度) [L]. DOMAIN.md and the speech give no slack:
    # the plan is the target, so any shortfall misses it unless a county allows a margin.
    plan_missed_tolerance_percent: Decimal = Decimal("0")  # missed when short of the plan by more than this share
    plan_missed_red_months: int = 2  # missed this many months running → red ("missed twice running")

    # R6 stale data [L].
    stale_after_months: int = 1

    # R7 timers: approval lapse and SME payments [N]; statistics enrolment [L].
    approval_lapse_months: int = 24
    approval_extension_max_months: int = 12
    approval_warning_months: int = 3
    sme_payment_days: int = 30
    sme_red_after_days: int = 15  # red this many days after the payment fell due
    stats_enrolment_yellow_months: int = 1
    stats_enrolment_red_months: int = 2
    stats_min_total_investment_fen: int = 5_000_000_00  # 500万元: the statistics cover projects from this size

    # Receivers.
    land_bureau: str = "自然资源局"
    discipline_commission: str = "县纪委监委"
    audit_office: str = "审计局"
    finance_bureau: str = "财政局"
    development_reform: str = "发改局"
    statistics_bureau: str = "统计局"
    sme_authority: str = "工信局"
    project_office: str = "县重点项目办"
    scheduling_meeting: str = "县重点项目调度会"

    def __post_init__(self) -> None:
        _check(self)

    def content(self) -> dict[str, Any]:
        """Every setting as JSON-able values (exact numbers as strings), for the policy_versions table."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}

    def digest(self) -> str:
        """sha256 of the canonical content: two policies digest alike exactly when every setting is equal."""
        canonical = json.dumps(self.content(), ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal | Fraction):
        return str(value)
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    return value


def _check(p: Policy) -> None:
    """Refuse settings that would skip or repeat levels silently, or go beyond what the law allows."""
    first, second = p.idle_warning_months
    steps = (first, second, p.idle_fee_months, p.idle_reclaim_months)
    if not 0 < first < second < p.idle_fee_months < p.idle_reclaim_months:
        raise ValueError(f"idle land months must rise strictly: {steps}")
    for label, fraction in (("stalled_developed_fraction", p.stalled_developed_fraction),
                            ("stalled_investment_fraction", p.stalled_investment_fraction)):
        if not 0 < fraction <= 1:
            raise ValueError(f"{label} must be in (0, 1]: {fraction}")
    for label, number in (("idle_fee_percent", p.idle_fee_percent), ("overrun_case_percent", p.overrun_case_percent),
                          ("central_pay_red_points", p.central_pay_red_points),
                          ("progress_yellow_points", p.progress_yellow_points), ("progress_red_points", p.progress_red_points),
                          ("plan_missed_tolerance_percent", p.plan_missed_tolerance_percent)):
        if not number.is_finite() or number < 0:
            raise ValueError(f"{label} must be a non-negative number: {number}")
    for label, count in (("deemed_start_after_handover_months", p.deemed_start_after_handover_months),
                         ("milestone_red_after_months", p.milestone_red_after_months)):
        if count < 0:
            raise ValueError(f"{label} must not be negative")
    for label, count in (("central_start_yellow_months", p.central_start_yellow_months), ("central_pay_window_months", p.central_pay_window_months),
                         ("milestone_warning_days", p.milestone_warning_days), ("milestone_explanation_workdays", p.milestone_explanation_workdays),
                         ("progress_window_months", p.progress_window_months), ("stale_after_months", p.stale_after_months),
                         ("plan_missed_red_months", p.plan_missed_red_months),
                         ("approval_warning_months", p.approval_warning_months), ("sme_red_after_days", p.sme_red_after_days),
                         ("policy_version", p.policy_version)):
        if count < 1:
            raise ValueError(f"{label} must be at least 1")
    if p.progress_yellow_points > p.progress_red_points:
        raise ValueError(f"progress_yellow_points {p.progress_yellow_points} is above progress_red_points {p.progress_red_points}")
    if p.plan_missed_tolerance_percent >= 100:
        raise ValueError(f"plan_missed_tolerance_percent must be under 100: {p.plan_missed_tolerance_percent}")
    if not 1 <= p.ledger_due_day <= 28:
        raise ValueError(f"ledger_due_day must be a day every month has (1-28): {p.ledger_due_day}")
    unknown = [s for s in p.reporting_stages if s not in STAGES]
    if unknown:
        raise ValueError(f"reporting_stages has unknown stages {unknown}; known: {STAGES}")
    if not 0 < p.approval_warning_months < p.approval_lapse_months:
        raise ValueError("approval_warning_months must be under approval_lapse_months")
    if not 0 <= p.approval_extension_max_months <= APPROVAL_EXTENSION_MAX_BY_LAW:
        raise ValueError(f"approval_extension_max_months must be 0-{APPROVAL_EXTENSION_MAX_BY_LAW} (the law allows one year)")
    if not 1 <= p.sme_payment_days <= SME_MAX_DAYS_BY_LAW:
        raise ValueError(f"sme_payment_days must be 1-{SME_MAX_DAYS_BY_LAW}: {p.sme_payment_days}")
    if not 0 < p.stats_enrolment_yellow_months < p.stats_enrolment_red_months:
        raise ValueError("stats enrolment months must rise strictly: yellow before red")
    if p.stats_min_total_investment_fen < 0:
        raise ValueError("stats_min_total_investment_fen must not be negative")
    if not p.preset:
        raise ValueError("preset must be named")
