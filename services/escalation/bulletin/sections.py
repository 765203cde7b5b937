"""The bulletin as titled tables, shared by the HTML, DOCX and XLSX renderers (one sheet per section).

Cells are typed so each renderer keeps numbers numbers: int (counts, days), Decimal (percentages
and 万元, exact), date, str or None (no figure).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from services.escalation.bulletin.model import (
    Assignment,
    AssignmentDelivery,
    BulletinFigures,
    Delivery,
    LongOpen,
    ProblemFigures,
    ProblemTally,
    Ranking,
    StageRate,
)
from shared.wording import evidence_value, rule_name

Cell = int | Decimal | date | str | None
STATES = {"opened": "待签收", "acknowledged": "已签收", "replied": "已反馈", "reviewed": "已复核", "closed": "已办结"}
COLOURS = {"red": "红", "yellow": "黄"}


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""


def number(text: str | None) -> Decimal | None:
    return Decimal(text) if text is not None else None


def wan(fen: int | None) -> Decimal | None:
    """Fen as 万元, exact (1万元 = 1,000,000 fen)."""
    return Decimal(fen).scaleb(-6) if fen is not None else None


def _yes(value: bool | None) -> str:
    return "—" if value is None else "是" if value else "否"


def _rate_row(rate: StageRate) -> tuple[Cell, ...]:
    return (f"{rate.milestone}率", rate.planned, rate.done, number(rate.percent), number(rate.target_percent), _yes(rate.meets_target))


def _ranking(ranking: Ranking) -> Section:
    rows = tuple((r.rank, r.name, r.projects, r.green, number(r.green_percent), r.overdue_cases, number(r.score),
                  "红榜" if r.name in ranking.red_list else "黑榜" if r.name in ranking.black_list else "") for r in ranking.rows)
    return Section(f"红黑榜（{ranking.kind}）", ("名次", ranking.kind, "项目数", "绿灯项目", "绿灯占比（%）", "逾期督办件", "得分", "榜单"), rows,
                   "得分 = 绿灯项目占比（百分点）− 每件逾期督办件扣分；绿灯指无在办预警且不欠进度。")


def _assignments(title: str, items: tuple[Assignment, ...], with_then: bool) -> Section:
    headers = ("项目", "规则", "承办单位", "层级", "交办日期", "办理期限", *(("上期状态",) if with_then else ()), "当前状态")
    rows = tuple((a.project_name, rule_name(a.rule_id), a.target_name, f"L{a.ladder_level}", a.opened_on, a.due_on,
                  *((STATES.get(a.state_then or "", a.state_then),) if with_then else ()), STATES.get(a.state_now, a.state_now)) for a in items)
    return Section(title, headers, rows)


def _tally_row(dimension: str, t: ProblemTally) -> tuple[Cell, ...]:
    return (dimension, t.key, t.raised, t.solved, t.overdue, t.climbed)


def _problems(p: ProblemFigures) -> Section:
    rows = (("合计", "全部", *_tally_row("", p.total)[2:]), *(_tally_row("问题类别", t) for t in p.by_category),
            *(_tally_row("责任部门", t) for t in p.by_department))
    return Section("问题清单办理情况", ("维度", "分组", "本月提出（个）", "本月解决（个）", "逾期未解决（个）", "本月逾期升级（个）"), rows,
                   "本月提出：本月提出的问题；本月解决：本月由未解决变为已解决或已销号的问题（以办理记录为准，同月先解决后销号只计一次）；"
                   "逾期未解决：截至月末（或数据截止日）仍未解决且已过当前办理期限的问题；"
                   "本月逾期升级：本月因逾期未解决而提交上一级协调的问题。")


def _delivery_row(d: Delivery) -> tuple[Cell, ...]:
    return (d.department, d.due, d.on_time, d.closed_late, d.still_open, number(d.percent))


def _delivery(month: str, a: AssignmentDelivery) -> Section:
    rows = (_delivery_row(a.total), *(_delivery_row(d) for d in a.by_department)) if a.total.due else ()
    return Section("会议交办事项落实率（承办部门）", ("承办部门", "本月到期（件）", "按期销号（件）", "逾期销号（件）", "尚未销号（件）", "落实率（%）"), rows,
                   f"交办事项落实率 = 会议确定的办结期限在{month[:4]}年{int(month[5:7])}月（截至数据截止日）的交办事项中，"
                   "在该期限当日或之前销号的件数 ÷ 到期件数；逾期升级后另定的期限不计。")


def _long_open(as_of: date, long: LongOpen) -> Section:
    rows = tuple((p.project_name, p.category, p.description, p.level_name, p.target_name, p.opened_on, p.months_open, p.days_open,
                  p.months_reported) for p in long.problems)
    return Section(f"超过{long.threshold_months}个月未解决的问题", ("项目", "类别", "问题描述", "所处层级", "当前承办", "提出日期",
                                                             "已持续（整月）", "已持续（天）", "台账报告（月）"), rows,
                   f"截至{as_of.isoformat()}仍未解决、自提出之日起已超过{long.threshold_months}个月的问题；"
                   "台账报告（月）为月度台账报告该问题的月数。")


def _referrals(f: BulletinFigures) -> Section:
    rows = tuple((r.project_name, r.level_name, r.body, wan(int(r.overrun)) if r.overrun else None, r.referred_on,
                  r.acknowledged_on.isoformat() if r.acknowledged_on else "尚未签收") for r in f.referrals)
    return Section("移送纪检监察、审计的事项", ("项目", "事由", "受移送单位", "超出金额（万元）", "移送日期", "签收情况"), rows,
                   "本月移送及此前移送尚未签收的事项；移送不是处理决定，由受移送单位依规依纪依法处理。")


def sections(f: BulletinFigures) -> tuple[Section, ...]:
    inv, cases = f.investment, f.open_cases
    return (
        Section("主要指标", ("指标", "上月", "本月"), tuple((c.label, number(c.previous), number(c.now)) for c in f.changes)),
        Section("开工、竣工、投产", ("指标", "年内计划（个）", "已完成（个）", "完成率（%）", "目标（%）", "是否达标"), (
            _rate_row(f.start_rate), _rate_row(f.completion_rate), _rate_row(f.production_rate),
            ("年底开工率预测", f.start_forecast.planned, f.start_forecast.started + f.start_forecast.expected,
             number(f.start_forecast.percent), number(f.start_forecast.target_percent), _yes(f.start_forecast.meets_target)),
        ), "年底开工率预测 =（已开工 + 前置节点均已完成或未逾期、开工节点未逾期的项目）÷ 年内计划开工项目。"
           + (f" 开工滞后风险项目：{'、'.join(f.start_forecast.at_risk)}。" if f.start_forecast.at_risk else "")),
        Section("投资完成", ("年度计划投资（万元）", "累计完成投资（万元）", "投资完成率（%）", "序时进度（%）", "落后序时（百分点）", "是否达标"), (
            (wan(inv.annual_plan_fen), wan(inv.ytd_fen), number(inv.completion_percent), number(inv.schedule_percent),
             number(inv.behind_points), _yes(inv.meets_target)),
        )),
        Section("欠进度项目", ("项目", "责任单位", "年度计划（万元）", "累计完成（万元）", "完成率（%）", "序时进度（%）", "落后（百分点）", "等级", "来源"),
                tuple((b.name, b.responsible_unit, wan(b.annual_plan_fen), wan(b.ytd_fen), number(b.completion_percent), number(b.schedule_percent),
                       number(b.behind_points), COLOURS.get(b.colour, b.colour), "预警规则" if b.source == "R5" else "台账测算") for b in f.behind)),
        Section("闲置土地", ("项目", "地块", "类型", "闲置起算日", "闲置天数", "级别", "评估日"),
                tuple((p.name, p.parcel, evidence_value("type", p.idle_type), p.idle_since, p.days_idle, p.level_name, p.evaluated_on) for p in f.idle_parcels)),
        Section("在办督办件", ("维度", "分组", "件数"), (
            ("合计", "全部", cases.total), ("合计", "已逾期", cases.overdue),
            *(("层级", c.key, c.count) for c in cases.by_level), *(("承办单位", c.key, c.count) for c in cases.by_department),
            *(("规则", rule_name(c.key), c.count) for c in cases.by_rule),
        )),
        Section("办理时效", ("指标", "数量", "数值"), (
            ("红灯转绿灯（中位天数）", f.red_to_green.count, number(f.red_to_green.median_days)),
            ("红灯转绿灯（平均天数）", f.red_to_green.count, number(f.red_to_green.mean_days)),
            ("交办函按期反馈率（%）", f.letters.due, number(f.letters.percent)),
            ("交办函按期反馈（件）", f.letters.due, f.letters.on_time),
        )),
        _ranking(f.unit_ranking),
        _ranking(f.township_ranking),
        _assignments("本月交办事项", f.new_assignments, with_then=False),
        _assignments(f"上月交办事项落实情况（{f.follow_up.month}）", f.follow_up.assignments, with_then=True),
        _problems(f.problems),
        _delivery(f.month, f.assignment_delivery),
        _long_open(f.as_of, f.long_open),
        _referrals(f),
    )


def text(cell: Cell) -> str:
    """How a cell reads on paper: 万元 to the fen, percentages as computed, no figure as a dash."""
    if cell is None or cell == "":
        return "—" if cell is None else ""
    if isinstance(cell, Decimal):
        shown = cell.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if cell.as_tuple().exponent < -2 else cell  # type: ignore[operator]
        return f"{shown:,}"
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)
