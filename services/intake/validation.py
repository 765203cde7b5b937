"""Semantic checks of one county update, after pydantic has checked its shape.

Pure: no I/O, no clock. `check` returns every problem at once as `FieldError(field, message)`, with
the field path spelled as pydantic spells it ("land_parcel.actual_start_date", "milestones.0.actual")
and a bilingual message "中文 / English".

Stage transitions need the previous stage, which intake does not know: `allowed_transition` is the
pure rule, meant for tracker (which holds the snapshot); `check` does not call it.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from fractions import Fraction

from services.intake.domain import FieldError
from shared.contracts import ProjectUpdate, Stage
from shared.contracts.types import project_code_region

# Nothing a county system reports predates the modern project ledgers; an earlier date is a typo
# or a placeholder such as 1900-01-01.
EARLIEST_DATE = date(1990, 1, 1)
# Planned dates (agreed start, milestone plans, the expected end of a government delay) may lie in
# the future, but not beyond the longest construction programme a county plans: 15 years.
PLANNED_HORIZON_YEARS = 15
# Developed area may exceed the required area by measurement slack only (surveys differ by a few
# per cent; 20% is generous). More is a unit or a parcel mix-up.
AREA_MEASUREMENT_SLACK = Fraction(6, 5)
# A key project's total investment under 1万元 (1,000,000 fen) is not a real figure: it was sent in
# 元 or 万元 instead of 分. Zero stays allowed (a reserve project with no estimate yet).
MIN_TOTAL_INVESTMENT_FEN = 1_000_000
# Milestones that stand for the construction start (开工).
START_MILESTONE_NAMES = frozenset({"开工", "start"})

# The pipeline in order; cancelled (调出) stands outside it.
PIPELINE: tuple[Stage, ...] = (
    Stage.reserve, Stage.negotiating, Stage.signed, Stage.started,
    Stage.completed, Stage.in_production, Stage.at_capacity,
)
STARTED_OR_LATER = frozenset(PIPELINE[PIPELINE.index(Stage.started):])
COMPLETED_OR_LATER = frozenset(PIPELINE[PIPELINE.index(Stage.completed):])


def allowed_transition(old: Stage | None, new: Stage) -> bool:
    """Whether a project may move from `old` to `new` (for tracker; intake has no previous stage).

    A first report (old None) may be any stage; staying put is always fine. Along the pipeline a
    project may move forward, skipping stages (sources report monthly), but never back. Any stage
    may be cancelled (调出); a cancelled project may only be re-activated into reserve (储备).
    """
    if old is None or old == new or new is Stage.cancelled:
        return True
    if old is Stage.cancelled:
        return new is Stage.reserve
    return PIPELINE.index(new) > PIPELINE.index(old)


def check(county_code: str, update: ProjectUpdate, today: date) -> tuple[FieldError, ...]:
    """Every semantic problem of `update`, reported by `county_code`, as of the Beijing date `today`."""
    return (
        *_project_code(county_code, update, today),
        *_early_or_foreign_months(update),
        *_ledger_month(update, today),
        *_plan_year(update, today),
        *_dates(update, today),
        *_money(update),
        *_area(update),
        *_per_stage(update),
    )


def _error(field: str, chinese: str, english: str) -> FieldError:
    return FieldError(field, f"{chinese} / {english}")


def _months(year: int, month: int) -> int:
    return year * 12 + month


def _project_code(county_code: str, update: ProjectUpdate, today: date) -> Iterator[FieldError]:
    code = update.project_code
    if code is None:
        return
    region = project_code_region(code)
    # A county reports its own projects, and city- or province-level projects built on its territory.
    own = (county_code, county_code[:4] + "00", county_code[:2] + "0000")
    if region not in own:
        yield _error(
            "project_code",
            f"项目代码 {code} 的地区码 {region} 不属于本县 {county_code}（应为 {'、'.join(own)} 之一）",
            f"project code {code} has region {region}, which is not county {county_code} "
            f"(expected one of {', '.join(own)})",
        )
    # The pattern already holds the month to 01–12; the code is issued on approval, so not later than today.
    year, month = 2000 + int(code[:2]), int(code[2:4])
    if _months(year, month) > _months(today.year, today.month):
        yield _error(
            "project_code",
            f"项目代码 {code} 的赋码年月 {year}-{month:02d} 晚于今天 {today.isoformat()}",
            f"project code {code} was issued in {year}-{month:02d}, after today {today.isoformat()}",
        )


def _early_or_foreign_months(update: ProjectUpdate) -> Iterator[FieldError]:
    """Months no earlier than the earliest date, in ASCII digits: the contract's pattern (\\d) also takes year 0000,
    which no date can hold downstream, and digits of other scripts, which never equal a month written in ASCII."""
    months = [("ledger_month", update.ledger_month)]
    months += [(f"ledger.{i}.month", entry.month) for i, entry in enumerate(update.ledger or ())]
    months += [(f"reported_problems.{i}.month", problem.month) for i, problem in enumerate(update.reported_problems or ())]
    for field, month in months:
        if month is not None and (not month.isascii() or month < f"{EARLIEST_DATE:%Y-%m}"):
            yield _error(field, f"月份 {month} 早于 {EARLIEST_DATE:%Y-%m} 或不是阿拉伯数字",
                         f"month {month} is before {EARLIEST_DATE:%Y-%m} or not in ASCII digits")


def _ledger_month(update: ProjectUpdate, today: date) -> Iterator[FieldError]:
    if update.ledger_month is None or not update.ledger_month.isascii():
        return
    year, month = (int(part) for part in update.ledger_month.split("-"))
    if _months(year, month) > _months(today.year, today.month):
        yield _error(
            "ledger_month",
            f"台账月份 {update.ledger_month} 晚于本月 {today:%Y-%m}",
            f"ledger month {update.ledger_month} is after the current month {today:%Y-%m}",
        )


def _plan_year(update: ProjectUpdate, today: date) -> Iterator[FieldError]:
    """A plan's year names the year of the plan sent with it: alone it says nothing; past next year, it is a typo."""
    year = update.annual_plan_year
    if year is None:
        return
    if update.annual_plan_fen is None:
        yield _error("annual_plan_year", f"计划年度 {year} 未随年度计划投资一并报送",
                     f"plan year {year} was sent without the annual planned investment it is for")
    elif year > today.year + 1:
        yield _error("annual_plan_year", f"计划年度 {year} 晚于明年 {today.year + 1}",
                     f"plan year {year} is after next year {today.year + 1}")


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February → 28 February
        return day.replace(year=day.year + years, day=28)


def _dates(update: ProjectUpdate, today: date) -> Iterator[FieldError]:
    actual: list[tuple[str, date | None]] = []  # things that happened: never after today
    planned: list[tuple[str, date | None]] = []  # things expected: within the planning horizon
    parcel = update.land_parcel
    if parcel is not None:
        actual += [
            ("land_parcel.handover_date", parcel.handover_date),
            ("land_parcel.actual_start_date", parcel.actual_start_date),
            ("land_parcel.last_progress_date", parcel.last_progress_date),
        ]
        planned.append(("land_parcel.agreed_start_date", parcel.agreed_start_date))
        for index, delay in enumerate(parcel.government_delays or ()):
            actual.append((f"land_parcel.government_delays.{index}.start", delay.start))
            planned.append((f"land_parcel.government_delays.{index}.end", delay.end))
    for index, milestone in enumerate(update.milestones or ()):
        actual.append((f"milestones.{index}.actual", milestone.actual))
        planned.append((f"milestones.{index}.planned", milestone.planned))
    if update.overrun_approval is not None:
        actual.append(("overrun_approval.approved_on", update.overrun_approval.approved_on))
    actual += [("stats_start_date", update.stats_start_date), ("stats_enrolled_on", update.stats_enrolled_on)]
    if update.approval is not None:
        actual.append(("approval.approved_on", update.approval.approved_on))
        planned.append(("approval.extended_until", update.approval.extended_until))
    actual += [(f"central_funds.{i}.issued_on", fund.issued_on) for i, fund in enumerate(update.central_funds or ())]
    for i, payment in enumerate(update.sme_payments or ()):
        actual += [(f"sme_payments.{i}.accepted_on", payment.accepted_on), (f"sme_payments.{i}.paid_on", payment.paid_on)]
    actual += [(f"expropriation.{i}.as_of", progress.as_of) for i, progress in enumerate(update.expropriation or ())]

    horizon = _add_years(today, PLANNED_HORIZON_YEARS)
    for field, day in [*actual, *planned]:
        if day is not None and day < EARLIEST_DATE:
            yield _error(field, f"日期 {day} 早于 {EARLIEST_DATE}", f"date {day} is before {EARLIEST_DATE}")
    for field, day in actual:
        if day is not None and day > today:
            yield _error(
                field,
                f"实际日期 {day} 晚于今天 {today}，实际发生的事不能在将来",
                f"actual date {day} is after today {today}; what happened cannot be in the future",
            )
    for field, day in planned:
        if day is not None and day > horizon:
            yield _error(
                field,
                f"计划日期 {day} 超过今天起 {PLANNED_HORIZON_YEARS} 年（{horizon}）",
                f"planned date {day} is more than {PLANNED_HORIZON_YEARS} years ahead ({horizon})",
            )

    if parcel is None:
        return
    # Land is handed over before work on it can start (动工开发 needs the land).
    if parcel.handover_date and parcel.actual_start_date and parcel.actual_start_date < parcel.handover_date:
        yield _error(
            "land_parcel.actual_start_date",
            f"动工开发日期 {parcel.actual_start_date} 早于交地日期 {parcel.handover_date}",
            f"actual start {parcel.actual_start_date} is before the land handover {parcel.handover_date}",
        )
    # The last physical progress cannot precede the start of the works.
    if parcel.actual_start_date and parcel.last_progress_date and parcel.last_progress_date < parcel.actual_start_date:
        yield _error(
            "land_parcel.last_progress_date",
            f"最近施工进展日期 {parcel.last_progress_date} 早于动工开发日期 {parcel.actual_start_date}",
            f"last progress {parcel.last_progress_date} is before the actual start {parcel.actual_start_date}",
        )


def _money(update: ProjectUpdate) -> Iterator[FieldError]:
    total = update.total_investment_fen
    month, ytd, plan = update.investment_month_fen, update.investment_ytd_fen, update.annual_plan_fen
    # Year to date includes the ledger's month, so it is at least the month's figure.
    if month is not None and ytd is not None and ytd < month:
        yield _error(
            "investment_ytd_fen",
            f"本年累计完成投资 {ytd} 分小于本月完成投资 {month} 分",
            f"investment year to date {ytd} fen is less than this month's {month} fen",
        )
    # One month's or one year's investment, and the year's plan, are parts of the total investment.
    for field, value, chinese, english in (
        ("investment_month_fen", month, "本月完成投资", "investment this month"),
        ("investment_ytd_fen", ytd, "本年累计完成投资", "investment year to date"),
        ("annual_plan_fen", plan, "年度计划投资", "annual planned investment"),
    ):
        if value is not None and total is not None and value > total:
            yield _error(
                field,
                f"{chinese} {value} 分超过总投资 {total} 分",
                f"{english} {value} fen exceeds the total investment {total} fen",
            )
    # Money is in 分: a total under 1万元 was sent in 元 or 万元.
    if total is not None and 0 < total < MIN_TOTAL_INVESTMENT_FEN:
        yield _error(
            "total_investment_fen",
            f"总投资 {total} 分（{total / 100:.2f} 元）过小，金额单位应为分（1 元 = 100 分）",
            f"total investment {total} fen ({total / 100:.2f} yuan) is implausibly small; "
            "amounts are in fen (1 yuan = 100 fen)",
        )


def _area(update: ProjectUpdate) -> Iterator[FieldError]:
    parcel = update.land_parcel
    if parcel is None or parcel.developed_area_m2 is None or parcel.required_area_m2 is None:
        return
    # Developed area can exceed the required area only by measurement slack.
    if parcel.developed_area_m2 > parcel.required_area_m2 * AREA_MEASUREMENT_SLACK:
        yield _error(
            "land_parcel.developed_area_m2",
            f"已开发面积 {parcel.developed_area_m2} 平方米超过应开发面积 {parcel.required_area_m2} 平方米的 120%",
            f"developed area {parcel.developed_area_m2} m² exceeds 120% of the required area "
            f"{parcel.required_area_m2} m²",
        )


def _per_stage(update: ProjectUpdate) -> Iterator[FieldError]:
    stage, parcel = update.stage, update.land_parcel
    # A started project's land has a start date: the contract's agreed one or the actual one.
    # Without either, the idle-land clock (R1) cannot run for this parcel.
    if (
        stage in STARTED_OR_LATER and parcel is not None
        and parcel.actual_start_date is None and parcel.agreed_start_date is None
    ):
        yield _error(
            "land_parcel.agreed_start_date",
            f"项目阶段为 {stage}，地块 {parcel.parcel_id} 须填写约定动工开发日期或实际动工开发日期",
            f"stage is {stage}: parcel {parcel.parcel_id} needs agreed_start_date or actual_start_date",
        )
    # A completed project has started: its start milestone cannot still be only planned.
    if stage in COMPLETED_OR_LATER:
        for index, milestone in enumerate(update.milestones or ()):
            if milestone.name.casefold() in START_MILESTONE_NAMES and milestone.planned and milestone.actual is None:
                yield _error(
                    f"milestones.{index}.actual",
                    f"项目阶段为 {stage}，但里程碑「{milestone.name}」只有计划日期，缺少实际日期",
                    f"stage is {stage} but milestone '{milestone.name}' has a planned date and no actual date",
                )
