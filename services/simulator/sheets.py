"""The generated feeds as the county bureaus' own spreadsheets, one per mapping profile (config/profiles).

Pure (no I/O): each county's correct records become rows in the profile's layout and units (发改局 ledger in
万元, 土地供应清单 in 亩, 财政局 payments in 元); each planted typo becomes one bad row (a copy of the row its
record maps to, with the typo in a cell) just above that row. Projects known only by a local id have no
项目代码, which every profile needs: their records and typos stay out of the sheets (counted in `skipped`).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from services.simulator.generate import Feeds

SYSTEMS = {"发改局项目库": "registration", "自然资源局土地供应台账": "parcel", "县重点项目办月度台账": "ledger", "财政局支付系统": "payment"}
PROFILE_OF = {"registration": "fgw_ledger", "ledger": "fgw_ledger", "parcel": "zrzy_land_supply", "payment": "cz_payments"}
EXTENSIONS = {"fgw_ledger": "xlsx", "zrzy_land_supply": "xlsx", "cz_payments": "csv"}
FGW_TOP = ["序号", "项目代码", "项目名称", "建设性质", "项目阶段", "总投资（万元）", "投资完成情况（万元）", None, None,
           "责任单位", "牵头部门", "包抓领导", "台账月份", "备注"]
FGW_BOTTOM = [None] * 6 + ["年度计划投资", "本月完成投资", "累计完成投资"] + [None] * 5
LAND_HEADER = ["序号", "电子监管号", "项目代码", "项目名称", "受让单位", "供地方式", "供地面积（亩）", "已开发面积（㎡）",
               "成交价款（万元）", "不含地价税费投资额（万元）", "约定动工时间", "交地时间", "实际动工时间", "最近施工进展日期", "更新日期"]
PAY_HEADER = ["项目代码", "项目名称", "预算单位", "资金性质", "批复预算（元）", "预算调整（元）", "合同金额（元）", "累计支付（元）", "统计截止日期"]
NATURES, STAGES = {"new": "新建", "continuing": "续建"}, {"started": "在建", "signed": "签约"}
# Stage spellings no profile knows ("开工" and "在建" are in fgw_ledger's list, so the JSON typos' ones would pass).
BAD_STAGES = ("施工中", "startd", "under_construction", "已开工")
FUNDS = ("一般公共预算", "地方政府专项债券", "上级补助资金")
# Which column a typo lands in, per profile: the record time, the 项目代码, a money cell (if the field is not there), a stage-like cell.
TIME_COLUMN = {"fgw_ledger": 12, "zrzy_land_supply": 14, "cz_payments": 8}
CODE_COLUMN = {"fgw_ledger": 1, "zrzy_land_supply": 2, "cz_payments": 0}
MONEY_COLUMNS = {"fgw_ledger": {"total_investment_fen": 5, "annual_plan_fen": 6, "investment_month_fen": 7},
                 "zrzy_land_supply": {"land_price_fen": 8}, "cz_payments": {"budget_fen": 4, "committed_cost_fen": 6}}
STAGE_COLUMN = {"fgw_ledger": 4, "zrzy_land_supply": 6, "cz_payments": 7}  # no stage column: a note typed into a number cell


@dataclass
class Sheet:
    """One county's file for one profile: rows as written (cells), the bad ones counted by typo kind."""

    profile: str
    rows: list[list[Any]] = field(default_factory=list)
    bad: Counter[str] = field(default_factory=Counter)

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.profile]


def wan(fen: int) -> int | float:
    """Fen as 万元, exact (a float's repr gives its decimal back: at most 12 significant digits here)."""
    value = Decimal(fen) / 1_000_000
    return int(value) if value == value.to_integral_value() else float(value)


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100:,}.{abs(fen) % 100:02d}"


def mu(m2: int) -> int | float:
    value = (Decimal(m2) * 15 / 10000).quantize(Decimal("0.0001")).normalize()
    return int(value) if value == value.to_integral_value() else float(value)


def _day(item: dict[str, Any]) -> date:
    return datetime.fromisoformat(item["source_record_time"]).date()


def _dates(parcel: dict[str, Any], *names: str) -> list[date | None]:
    return [date.fromisoformat(parcel[name]) if parcel.get(name) else None for name in names]


def _fgw(reg: dict[str, Any], ledger: dict[str, Any]) -> list[Any]:
    month = date.fromisoformat(f"{ledger['ledger_month']}-01")
    return [0, reg["project_code"], reg["name"], NATURES[reg["nature"]], STAGES[reg["stage"]], wan(reg["total_investment_fen"]),
            wan(ledger["annual_plan_fen"]), wan(ledger["investment_month_fen"]), wan(ledger["investment_ytd_fen"]),
            reg["responsible_unit"], reg["lead_department"], reg["leader"], f"{month.year}年{month.month}月", None]


def _land(reg: dict[str, Any], item: dict[str, Any]) -> list[Any]:
    p = item["land_parcel"]
    developed = p.get("developed_area_m2")
    invested = p.get("investment_excl_land_fen")
    return [0, p["parcel_id"], reg["project_code"], reg["name"], f"{reg['name']}开发有限公司", "出让", mu(p["required_area_m2"]),
            developed, wan(p["land_price_fen"]), None if invested is None else wan(invested),
            *_dates(p, "agreed_start_date", "handover_date", "actual_start_date", "last_progress_date"), f"{_day(item):%Y.%m.%d}"]


def _pay(reg: dict[str, Any], item: dict[str, Any]) -> list[Any]:
    day = _day(item)
    return [reg["project_code"], reg["name"], reg["responsible_unit"], FUNDS[int(reg["project_code"][-1]) % len(FUNDS)],
            yuan(item["budget_fen"]), "", yuan(item["committed_cost_fen"]), yuan(item["spent_cost_fen"]),
            f"{day.year}/{day.month}/{day.day}"]


def _broken(profile: str, row: list[Any], kind: str, good: dict[str, Any], bad: dict[str, Any]) -> list[Any]:
    """`row` with the typo of `kind` that turned `good` into `bad` (the JSON item), in this file's terms."""
    row, col = list(row), 0
    if kind == "bad_date":
        broken = bad["source_record_time"][:10]  # 2025-02-30 or 2025-13-05, written the way this file writes dates
        year, month, day = (int(part) for part in broken.split("-"))
        col, row[TIME_COLUMN[profile]] = TIME_COLUMN[profile], {"fgw_ledger": f"{year}年{month}月{day}日",
                                                                  "cz_payments": f"{year}/{month}/{day}"}.get(profile, broken)
    elif kind == "bad_code":
        col = CODE_COLUMN[profile]
        row[col] = str(row[col]).replace("-", "", 1)
    elif kind == "negative_money":
        negated = next((name for name, value in bad.items() if isinstance(value, int) and value < 0 < (good.get(name) or 1)), "")
        columns = MONEY_COLUMNS[profile]
        col = columns.get(negated, next(iter(columns.values())))
        row[col] = "-" + row[col] if isinstance(row[col], str) else -row[col]
    elif kind == "unknown_stage":
        col = STAGE_COLUMN[profile]
        row[col] = {"fgw_ledger": BAD_STAGES[sum(map(ord, str(row[1]))) % len(BAD_STAGES)], "zrzy_land_supply": f"约{row[col]}亩",
                    "cz_payments": "待核实"}[profile]
    assert row[col] is not None
    return row


def sheets(feeds: Feeds) -> tuple[dict[str, dict[str, Sheet]], Counter[str]]:
    """County → profile → its sheet; and what stayed out of the sheets, by reason."""
    typos = {(p.county_code, p.key): p.kind.removeprefix("typo:") for p in feeds.planted if p.kind.startswith("typo:")}
    out: dict[str, dict[str, Sheet]] = {}
    skipped: Counter[str] = Counter()
    for county, items in feeds.items.items():
        broken: dict[str, dict[str, Any]] = {}
        projects: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for item in items:
            rid = item["source_record_id"]
            if (county, rid) in typos and rid not in broken:
                broken[rid] = item  # the typo'd copy is sent before the correct record
                continue
            if "project_code" not in item:
                skipped["local_id_records"] += 1
                skipped["local_id_typos"] += rid in broken
                continue
            projects.setdefault(item["project_code"], {}).setdefault(SYSTEMS[item["source_system"]], []).append(item)
        out[county] = _county_sheets(projects, broken, {rid: kind for (c, rid), kind in typos.items() if c == county}, skipped)
    return out, skipped


def _county_sheets(projects: dict[str, dict[str, list[dict[str, Any]]]], broken: dict[str, dict[str, Any]],
                   typos: dict[str, str], skipped: Counter[str]) -> dict[str, Sheet]:
    result = {name: Sheet(name) for name in EXTENSIONS}
    by_month: dict[str, list[tuple[list[Any], list[dict[str, Any]]]]] = {}  # the ledger goes month by month
    for records in projects.values():
        reg = records["registration"][0]
        ledgers = sorted(records.get("ledger", []), key=lambda item: item["ledger_month"])
        if not ledgers:  # the ledger's rows are its months: a project with none has no row (its registration is skipped)
            skipped["registrations_without_ledger_row"] += 1
            skipped["registration_typos_without_ledger_row"] += reg["source_record_id"] in broken
        for n, ledger in enumerate(ledgers):
            by_month.setdefault(ledger["ledger_month"], []).append((_fgw(reg, ledger), [ledger] + ([reg] if n == 0 else [])))
        for item in records.get("parcel", []):
            _add(result["zrzy_land_supply"], _land(reg, item), [item], broken, typos)
        for item in records.get("payment", []):
            _add(result["cz_payments"], _pay(reg, item), [item], broken, typos)
    for month in sorted(by_month):
        for row, sources in by_month[month]:
            _add(result["fgw_ledger"], row, sources, broken, typos)
    for name in ("fgw_ledger", "zrzy_land_supply"):  # 序号
        for number, row in enumerate(result[name].rows, start=1):
            row[0] = number
    return result


def _add(sheet: Sheet, row: list[Any], sources: list[dict[str, Any]], broken: dict[str, dict[str, Any]], typos: dict[str, str]) -> None:
    """The row, preceded by one bad row per typo'd record it carries (a ledger row carries its registration once)."""
    for good in sources:
        rid = good["source_record_id"]
        if rid in broken:
            sheet.rows.append(_broken(sheet.profile, row, typos[rid], good, broken[rid]))
            sheet.bad[typos[rid]] += 1
    sheet.rows.append(row)
