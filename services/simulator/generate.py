"""Seeded county feeds: N counties × M projects over a span of months, with problems planted in known numbers.

Pure (no I/O, no clock): the same arguments give the same feeds. Planted: idle parcels (idle by
《闲置土地处置办法》 as of `end`, type A never started or type B stalled), unapproved budget overruns,
late ledgers (monthly ledgers missing), and typos (a record first sent broken, then sent again fixed).
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from services.simulator.typos import KINDS as TYPO_KINDS
from services.simulator.typos import corrupt
from shared.clock import BEIJING

# Real 6-digit codes (杭州西湖区, 义乌市, 西安莲湖区, 银川兴庆区, 苏州吴中区, 深圳南山区, 成都武侯区, 武汉武昌区 …).
COUNTIES = ("330106", "330782", "610104", "640104", "320506", "440305", "510107", "420106",
            "370102", "410105", "350203", "430104", "500112", "120116", "210204", "330102")
NAMES = ("数字产业园", "智能制造基地", "安置房", "道路工程", "污水处理厂", "综合体", "物流园", "医院扩建", "学校新建", "新材料项目")
PLACES = ("西溪", "云谷", "象山", "滨江", "双浦", "江北", "高新", "临港", "城东", "南湖")
DEPARTMENTS = ("发改局", "住建局", "交通运输局", "经信局", "招商局")
LEADERS = ("陈立新", "周晓燕", "王建国", "李红梅", "张伟", "刘洋")
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Mix:
    """Shares of projects (idle, overrun, late) and of records (typos) that carry a planted problem."""

    idle: float = 0.1
    overrun: float = 0.1
    late: float = 0.1
    typos: float = 0.05


@dataclass(frozen=True)
class Plant:
    kind: str  # idle_parcel | overrun | late_ledger | typo:<kind>
    county_code: str
    key: str  # project code or local id (typos: source_record_id)
    detail: str


@dataclass
class Feeds:
    start: date
    end: date  # the as-of day the planted problems hold on (Beijing)
    items: dict[str, list[dict[str, Any]]]  # per county, in sending order
    planted: list[Plant] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        kinds = ["idle_parcel", "overrun", "late_ledger", *(f"typo:{kind}" for kind in TYPO_KINDS)]
        return {kind: sum(plant.kind == kind for plant in self.planted) for kind in kinds}


def county_codes(n: int) -> list[str]:
    """The real codes first; beyond them, made-up districts of the same prefectures (…51, …52, …)."""
    codes, suffix = list(COUNTIES), 50
    while len(codes) < n:
        if suffix > 99:
            raise ValueError(f"at most {len(codes)} distinct county codes")
        codes += [c for c in dict.fromkeys(f"{code[:4]}{suffix}" for code in COUNTIES) if c not in codes]
        suffix += 1
    return codes[:n]


def generate(counties: int, projects: int, months: int, seed: int, start: date = date(2025, 1, 1), mix: Mix = Mix()) -> Feeds:
    """`projects` per county; `months` from `start` (the first of a month)."""
    # Reproducible test data from a seed, not a secret (bandit B311).
    rng = random.Random(seed)  # nosec B311
    end = start + relativedelta(months=months) - DAY
    keys = [(county, n) for county in county_codes(counties) for n in range(projects)]
    pick = {kind: set(rng.sample(keys, round(share * len(keys)))) for kind, share in
            (("idle", mix.idle), ("overrun", mix.overrun), ("late", mix.late))}
    feeds = Feeds(start, end, {county: [] for county in county_codes(counties)})
    records: list[tuple[datetime, str, dict[str, Any]]] = []
    for county, n in keys:
        planner = _Project(rng, county, n, start, end, months)
        records += [(when, county, item) for when, item in planner.records(
            idle=(county, n) in pick["idle"], overrun=(county, n) in pick["overrun"], late=(county, n) in pick["late"])]
        feeds.planted += planner.planted
    broken = rng.sample(range(len(records)), round(mix.typos * len(records)))
    for number, index in enumerate(broken):
        when, county, item = records[index]
        kind = TYPO_KINDS[number % len(TYPO_KINDS)]
        # Sent the day before the correct record: the county's system fixes it after intake rejected it.
        records.append((when - DAY, county, corrupt(item, kind, rng)))
        feeds.planted.append(Plant(f"typo:{kind}", county, item["source_record_id"], kind))
    for _when, county, item in sorted(records, key=lambda record: record[0]):
        feeds.items[county].append(item)
    return feeds


def _at(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randint(8, 17), rng.choice((0, 10, 20, 30, 40, 50))), BEIJING)


class _Project:
    """One project's records over the span: registration, parcel, monthly ledgers, payments."""

    def __init__(self, rng: random.Random, county: str, n: int, start: date, end: date, months: int) -> None:
        self.rng, self.county, self.start, self.end, self.months = rng, county, start, end, months
        issued = start - relativedelta(months=rng.randint(1, 30))
        self.code = f"{issued:%y%m}-{county}-{rng.choice(('04', '47', '48', '36'))}-01-{rng.randint(1, 999999):06d}"
        # A fifth of the projects have no 项目代码 yet and are known by the county's local id.
        self.ident = {"project_code": self.code} if rng.random() > 0.2 else {"local_id": f"XM-{county}-{n + 1:04d}"}
        self.key = self.ident.get("project_code") or self.ident["local_id"]
        self.total = rng.randint(5_000, 200_000) * 1_000_000  # 5千万 … 20亿 元, in fen
        self.planted: list[Plant] = []
        self._serial = 0

    def record(self, system: str, prefix: str, when: datetime, **facts: Any) -> tuple[datetime, dict[str, Any]]:
        self._serial += 1
        record_id = f"{prefix}-{self.county}-{when:%Y%m%d}-{self._serial:04d}-{self.key[-6:]}"
        return when, {**self.ident, "source_system": system, "source_record_id": record_id,
                      "source_record_time": when.isoformat(), **facts}

    def records(self, *, idle: bool, overrun: bool, late: bool) -> list[tuple[datetime, dict[str, Any]]]:
        rng, funded = self.rng, overrun or self.rng.random() < 0.4
        has_parcel = idle or rng.random() < 0.6
        started = not idle and (not has_parcel or rng.random() < 0.6)
        out = [self.record("发改局项目库", "XMK", _at(self.start + rng.randint(1, 20) * DAY, rng),
                           name=f"{rng.choice(PLACES)}{rng.choice(NAMES)}", stage="started" if started else "signed",
                           nature=rng.choice(("new", "continuing")), government_funded=funded, leader=rng.choice(LEADERS),
                           lead_department=rng.choice(DEPARTMENTS), responsible_unit="县重点项目办", total_investment_fen=self.total)]
        if has_parcel:
            out.append(self._parcel(idle, started))
        out += self._ledgers(late)
        if funded:
            out.append(self._payments(overrun))
        return out

    def _parcel(self, idle: bool, started: bool) -> tuple[datetime, dict[str, Any]]:
        rng, end, year = self.rng, self.end, relativedelta(years=1)
        parcel: dict[str, Any] = {"parcel_id": f"{self.county}-{rng.randint(1, 9999):04d}-M1", "required_area_m2": rng.randint(8, 200) * 1000,
                                  "land_price_fen": rng.randint(20, 2000) * 10_000_000}
        if idle and rng.random() < 0.5:  # type A: no 动工开发 one full year past the agreed start
            agreed = end - year - rng.randint(10, 300) * DAY
            parcel |= {"agreed_start_date": agreed, "handover_date": agreed - rng.randint(10, 90) * DAY}
            detail = f"A agreed_start {agreed}"
        elif idle:  # type B: started, under a third developed, no progress for over a year
            progress = end - year - rng.randint(10, 90) * DAY
            begun = progress - rng.randint(30, 300) * DAY
            parcel |= {"handover_date": begun - 40 * DAY, "agreed_start_date": begun - 10 * DAY, "actual_start_date": begun,
                       "last_progress_date": progress, "developed_area_m2": parcel["required_area_m2"] // rng.randint(4, 20),
                       "investment_excl_land_fen": self.total // 10}
            detail = f"B last_progress {progress}"
        elif started:  # well under way: never idle, whatever the dates
            begun = self.start - rng.randint(30, 500) * DAY
            parcel |= {"handover_date": begun - 30 * DAY, "agreed_start_date": begun, "actual_start_date": begun,
                       "last_progress_date": self.start, "developed_area_m2": parcel["required_area_m2"] * rng.randint(40, 100) // 100,
                       "investment_excl_land_fen": self.total * rng.randint(30, 90) // 100}
        else:  # agreed start less than 9 months before the end: not even warned
            agreed = end - rng.randint(0, 240) * DAY
            parcel |= {"agreed_start_date": agreed, "handover_date": min(agreed, self.start) - rng.randint(10, 90) * DAY}
        if idle:
            self.planted.append(Plant("idle_parcel", self.county, self.key, f"{parcel['parcel_id']} {detail}"))
        # Sent once its facts have happened (an actual date is never in the future of the record).
        facts = [day for key, day in parcel.items() if key != "agreed_start_date" and isinstance(day, date)]
        when = min(max([self.start, *facts]) + rng.randint(1, 5) * DAY, self.end)
        return self.record("自然资源局土地供应台账", "TDGY", _at(when, rng),
                           land_parcel={k: v.isoformat() if isinstance(v, date) else v for k, v in parcel.items()})

    def _ledgers(self, late: bool) -> list[tuple[datetime, dict[str, Any]]]:
        # The ledger for a month is reported on the 2nd–4th of the next: the span's last month is not due yet.
        months = [self.start + relativedelta(months=i) for i in range(self.months - 1)]
        if late and months:
            missing = set(self.rng.sample(months, self.rng.randint(1, min(3, len(months)))))
            self.planted.append(Plant("late_ledger", self.county, self.key, ",".join(f"{m:%Y-%m}" for m in sorted(missing))))
            months = [month for month in months if month not in missing]
        out, ytd, plan = [], {}, self.total * self.rng.randint(20, 40) // 100
        for month in months:
            invested = self.total * self.rng.randint(5, 30) // 1000
            ytd[month.year] = ytd.get(month.year, 0) + invested
            when = _at(month + relativedelta(months=1, days=self.rng.randint(1, 3)), self.rng)
            out.append(self.record("县重点项目办月度台账", "TZ", when, ledger_month=f"{month:%Y-%m}", annual_plan_fen=plan,
                                   investment_month_fen=invested, investment_ytd_fen=ytd[month.year]))
        return out

    def _payments(self, overrun: bool) -> tuple[datetime, dict[str, Any]]:
        rng = self.rng
        budget = self.total * rng.randint(90, 100) // 100
        committed = budget * rng.randint(105, 145) // 100 if overrun else budget * rng.randint(50, 95) // 100
        if overrun:
            self.planted.append(Plant("overrun", self.county, self.key, f"committed {committed} > budget {budget}"))
        when = _at(self.end - rng.randint(0, 20) * DAY, rng)
        return self.record("财政局支付系统", "ZFZF", when, government_funded=True, budget_fen=budget,
                           committed_cost_fen=committed, spent_cost_fen=budget * rng.randint(40, 85) // 100)


def as_of_utc(end: date) -> datetime:
    """The end of the `end` day in Beijing, as intake's clock would read it."""
    return datetime.combine(end, time(23, 0), BEIJING).astimezone(UTC)
