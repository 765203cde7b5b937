"""R1 idle land (闲置土地处置办法, 国土资源部令第53号): warnings at 9/11 months, cases at one and two years."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

from services.escalation.domain import catalog
from services.escalation.domain.facts import Delay, Parcel, ProjectFacts
from services.escalation.domain.findings import Audience, AudienceKind, AudienceRole, Finding, audience
from services.escalation.domain.periods import Pause, elapsed_days, has_elapsed, paused_days, paused_end, period_end
from services.escalation.domain.policy import Policy

RULE_ID = "R1.idle_land"
RULE_VERSION = catalog.SPECS[RULE_ID].version

# Art. 8 causes as the contracts name them; the summary is read by people, in Chinese.
DELAY_CAUSES: dict[str, str] = {
    "land_not_delivered": "未按约定交付土地",
    "plan_revised": "规划修改",
    "new_policy": "国家政策调整",
    "petitions": "信访等群体性事件",
    "military_or_relics": "军事管制或文物保护",
    "other_government_act": "其他政府行为",
    "force_majeure": "不可抗力",
}
BASE_KINDS: dict[str, str] = {
    "agreed_start": "约定动工开发日期",
    "deemed_from_handover": "交地后视为动工开发日期",
    "last_progress": "最后施工进展日期",
    "actual_start": "动工开发日期",
}
Member = tuple[AudienceKind, str | None, AudienceRole]


@dataclass(frozen=True, slots=True)
class _Clock:
    """Which idle type applies and the date its period counts from."""

    type: str
    base: date
    base_kind: str
    evidence: tuple[tuple[str, str], ...]


def _clock(facts: ProjectFacts, parcel: Parcel, policy: Policy, as_of: date) -> _Clock | None:
    # A start recorded for a later day had not happened yet on the day being evaluated.
    started = parcel.actual_start_date is not None and parcel.actual_start_date <= as_of
    if not started:
        if parcel.agreed_start_date is not None:
            return _Clock("A", parcel.agreed_start_date, "agreed_start", ())
        if parcel.handover_date is not None:
            deemed = period_end(parcel.handover_date, policy.deemed_start_after_handover_months)
            return _Clock("A", deemed, "deemed_from_handover", (("handover_date", parcel.handover_date.isoformat()),))
        return None
    area_low = (parcel.developed_area_m2 is not None and parcel.required_area_m2 is not None
                and parcel.developed_area_m2 < parcel.required_area_m2 * policy.stalled_developed_fraction)
    investment_low = (parcel.investment_excl_land_fen is not None and facts.total_investment_fen is not None
                      and parcel.investment_excl_land_fen < facts.total_investment_fen * policy.stalled_investment_fraction)
    if not (area_low or investment_low):
        return None  # a suspended site that is far enough along is not idle land
    assert parcel.actual_start_date is not None
    # Progress cannot precede the start; if the data says so, the later date is the safer base.
    base, kind = parcel.actual_start_date, "actual_start"
    if parcel.last_progress_date is not None and parcel.last_progress_date >= base:
        base, kind = parcel.last_progress_date, "last_progress"
    figures = {
        "actual_start_date": parcel.actual_start_date,
        "last_progress_date": parcel.last_progress_date,
        "developed_area_m2": parcel.developed_area_m2,
        "required_area_m2": parcel.required_area_m2,
        "investment_excl_land_fen": parcel.investment_excl_land_fen,
        "total_investment_fen": facts.total_investment_fen,
    }
    stalled_by = ",".join(n for n, low in (("developed_area", area_low), ("investment", investment_low)) if low)
    evidence = tuple((k, v.isoformat() if isinstance(v, date) else str(v)) for k, v in figures.items() if v is not None)
    return _Clock("B", base, kind, (*evidence, ("stalled_by", stalled_by)))


def _ladder(policy: Policy) -> tuple[tuple[int, int, str], ...]:
    first, second = policy.idle_warning_months
    return (
        (1, first, f"闲置预警({first}个月)"),
        (2, second, f"闲置预警({second}个月)"),
        (3, policy.idle_fee_months, "闲置土地(征收闲置费)"),
        (4, policy.idle_reclaim_months, "闲置两年(无偿收回)"),
    )


def _members(level: int, facts: ProjectFacts, policy: Policy) -> list[Member]:
    if level == 1:
        return [("department", facts.responsible_unit, "action"), ("department", facts.lead_department, "action"),
                ("leader", facts.leader, "informed")]
    if level == 2:
        return [("leader", facts.leader, "action"), ("department", policy.scheduling_meeting, "action"),
                ("department", facts.lead_department, "informed")]
    return [("department", policy.land_bureau, "action"), ("leader", facts.leader, "informed"),
            ("office", policy.project_office, "informed")]


def _retarget(members: list[Member], ongoing: list[Delay]) -> list[Member]:
    """The case goes to whoever blocks; everyone who was to act is kept informed."""
    blockers: list[Member] = [("department", d.blocking_department, "action") for d in ongoing]
    return blockers + [(kind, name, "informed") for kind, name, _ in members]


def _fee(price_fen: int, percent: Fraction) -> int:
    """The idle fee in whole fen, rounded half up, computed exactly."""
    return math.floor(price_fen * percent / 100 + Fraction(1, 2))


def _evaluate_parcel(facts: ProjectFacts, parcel: Parcel, policy: Policy, as_of: date) -> Finding | None:
    clock = _clock(facts, parcel, policy, as_of)
    if clock is None:
        return None
    pauses: tuple[Pause, ...] = tuple((d.start, d.end) for d in parcel.delays)
    reached = [step for step in _ladder(policy) if has_elapsed(clock.base, step[1], pauses, as_of)]
    if not reached:
        return None
    level, months, level_name = reached[-1]
    idle_end = paused_end(clock.base, policy.idle_fee_months, pauses, as_of)
    evidence: dict[str, str] = {
        "type": clock.type,
        "base_date": clock.base.isoformat(),
        "base_kind": clock.base_kind,
        **dict(clock.evidence),
        "level_months": str(months),
        "period_end": paused_end(clock.base, months, pauses, as_of).isoformat(),
        "idle_period_end": idle_end.isoformat(),
        "paused_days": str(paused_days(clock.base, as_of, pauses)),
        "days_elapsed": str(elapsed_days(clock.base, as_of, pauses)),
    }
    if level >= 3:
        evidence["idle_since"] = (idle_end + timedelta(days=1)).isoformat()
        evidence["days_idle"] = str(elapsed_days(idle_end, as_of, pauses))
        if parcel.land_price_fen is not None:
            evidence["land_price_fen"] = str(parcel.land_price_fen)
            evidence["idle_fee_percent"] = str(policy.idle_fee_percent)
            evidence["idle_fee_fen"] = str(_fee(parcel.land_price_fen, Fraction(policy.idle_fee_percent)))
    members = _members(level, facts, policy)
    ongoing = [d for d in parcel.delays if d.start <= as_of and (d.end is None or d.end >= as_of)]
    if ongoing:
        members = _retarget(members, ongoing)
        evidence["delay_cause"] = ",".join(d.cause for d in ongoing)
        evidence["blocking_department"] = ",".join(d.blocking_department for d in ongoing)
        evidence["delay_start"] = ",".join(d.start.isoformat() for d in ongoing)
    return catalog.finding(
        RULE_ID, policy,
        subject=f"parcel:{parcel.parcel_id}",
        occurrence=f"{clock.type}:{clock.base.isoformat()}",
        level=level,
        level_name=level_name,
        # The warnings ask to push before the law bites; the fee and reclamation cases are the law biting.
        colour="yellow" if level <= 2 else "red",
        audience=audience(members, Audience("office", policy.project_office, "action")),
        evidence=evidence,
        summary=_summary(facts, parcel, clock, months, level_name, ongoing),
    )


def _summary(facts: ProjectFacts, parcel: Parcel, clock: _Clock, months: int, level_name: str,
             ongoing: list[Delay]) -> str:
    since = f"自{BASE_KINDS[clock.base_kind]}{clock.base.isoformat()}起"
    if clock.type == "A":
        what = f"{since}满{months}个月未动工开发"
    else:
        what = f"已动工但开发程度不足，{since}停工满{months}个月"
    text = f"{facts.display_name} 地块{parcel.parcel_id}：{what}，{level_name}"
    for d in ongoing:
        text += f"；因{DELAY_CAUSES.get(d.cause, d.cause)}暂停计时，由{d.blocking_department}处理"
    return text


def evaluate_idle_land(facts: ProjectFacts, policy: Policy, as_of: date) -> list[Finding]:
    """One finding per parcel that has reached at least the first warning as of `as_of`."""
    findings = (_evaluate_parcel(facts, parcel, policy, as_of) for parcel in facts.parcels)
    return [f for f in findings if f is not None]
