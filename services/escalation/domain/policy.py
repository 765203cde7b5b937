"""A county's escalation policy: every threshold and receiving department as a setting."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """Defaults are the national rules plus the speeches' local numbers; counties override them."""

    policy_version: int = 1
    county_code: str | None = None
    county_name: str | None = None

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

    # Receivers.
    land_bureau: str = "自然资源局"
    discipline_commission: str = "县纪委监委"
    audit_office: str = "审计局"
    finance_bureau: str = "财政局"
    project_office: str = "县重点项目办"
    scheduling_meeting: str = "县重点项目调度会"

    def __post_init__(self) -> None:
        # A ladder whose steps are out of order would skip or repeat levels silently.
        first, second = self.idle_warning_months
        steps = (first, second, self.idle_fee_months, self.idle_reclaim_months)
        if not 0 < first < second < self.idle_fee_months < self.idle_reclaim_months:
            raise ValueError(f"idle land months must rise strictly: {steps}")
        if self.deemed_start_after_handover_months < 0:
            raise ValueError("deemed_start_after_handover_months must not be negative")
        for label, fraction in (
            ("stalled_developed_fraction", self.stalled_developed_fraction),
            ("stalled_investment_fraction", self.stalled_investment_fraction),
        ):
            if not 0 < fraction <= 1:
                raise ValueError(f"{label} must be in (0, 1]: {fraction}")
        for label, percent in (
            ("idle_fee_percent", self.idle_fee_percent),
            ("overrun_case_percent", self.overrun_case_percent),
        ):
            if not percent.is_finite() or percent < 0:
                raise ValueError(f"{label} must be a non-negative number: {percent}")
        if self.policy_version < 1:
            raise ValueError("policy_version must be at least 1")
