"""Chinese messages for escalation events: one per event, or a digest folding several."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from shared.contracts.escalation import EscalationEscalated, EscalationRaised, EscalationResolved, Recipient

EscalationEvent = EscalationRaised | EscalationEscalated | EscalationResolved


@dataclass(frozen=True)
class Message:
    title: str
    text_markdown: str  # the body only; channels without a title field put the title on top
    text_plain: str


RULE_NAMES: dict[str, str] = {
    "R1": "闲置土地", "idle_land": "闲置土地",
    "R2": "政府投资项目超预算", "budget_overrun": "政府投资项目超预算",
    "R3": "中央预算内资金当年开工", "central_budget_start": "中央预算内资金当年开工",
    "R4": "节点逾期", "milestone_overdue": "节点逾期",
    "R5": "投资欠进度", "investment_behind": "投资欠进度",
    "R6": "数据缺报", "stale_data": "数据缺报",
    "R7": "其他时限", "other_timers": "其他时限",
}

EVIDENCE_LABELS: dict[str, str] = {
    "parcel_id": "地块编号", "idle_type": "闲置类型", "agreed_start_date": "约定动工开发日期",
    "deemed_start_date": "视为动工开发日期", "handover_date": "交地日期", "actual_start_date": "实际动工开发日期",
    "last_progress_date": "最近实物进度日期", "idle_since": "闲置起算日", "days_idle": "闲置天数",
    "paused_days": "暂停计时天数", "land_price_fen": "土地价款", "idle_fee_fen": "土地闲置费（按20%估算）",
    "required_area_m2": "约定开发面积", "developed_area_m2": "已开发面积",
    "investment_excl_land_fen": "已完成投资（不含地价和税费）", "total_investment_fen": "总投资",
    "budget_base": "预算口径", "budget_fen": "批复预算", "budget_adjustment_fen": "已批准调整",
    "committed_cost_fen": "合同承诺成本", "spent_cost_fen": "已支付成本", "overrun_fen": "超支金额",
    "overrun_ratio": "超支比例", "threshold_ratio": "阈值", "overrun_approved": "超支是否已获批准",
    "funds_issued_date": "中央预算内资金下达日期", "months_since_issue": "下达后月数",
    "milestone": "节点", "planned_date": "计划日期", "overdue_days": "逾期天数", "months_red": "连续红灯月数",
    "annual_plan_fen": "年度计划投资", "investment_ytd_fen": "年度累计完成投资",
    "schedule_ratio": "序时进度", "completion_ratio": "投资完成率", "behind_points": "落后序时进度（百分点）",
    "ledger_month": "最近台账月份", "blocking_department": "造成延误的部门", "deadline": "办理期限",
    "legal_source": "依据",
}

_KIND_TAGS = {"raised": "预警", "escalated": "升级", "resolved": "已解除"}
_DEFAULT_TERM = "5个工作日内"  # R4 L1: explanation and remedy within 5 working days


def format_fen(fen: str) -> str:
    """Exact: 万元 from 1万元 up, 元 below; a value that is not whole fen is shown as is."""
    try:
        amount = Decimal(fen)
    except InvalidOperation:
        return fen
    if amount != amount.to_integral_value():
        return fen
    if abs(amount) >= 1_000_000:
        return f"{_grouped(amount.scaleb(-6))}万元"
    return f"{_grouped(amount.scaleb(-2))}元"


def _plain(value: Decimal) -> Decimal:
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal


def _grouped(value: Decimal) -> str:
    return format(_plain(value), ",f")


def format_evidence_value(key: str, value: str) -> str:
    if key.endswith("_fen"):
        return format_fen(value)
    try:
        number = Decimal(value)
    except InvalidOperation:
        return {"true": "是", "false": "否"}.get(value.lower(), value)
    if key.endswith("_ratio"):
        return f"{_grouped(number.scaleb(2))}%"
    if key.endswith("_m2"):
        return f"{_grouped(number)}平方米"
    if key.endswith("_days") or key.startswith("days_"):
        return f"{_grouped(number)}天"
    return value


def rule_name(rule_id: str) -> str:
    for candidate in (rule_id, rule_id.replace("-", ".").split(".")[0]):
        if candidate in RULE_NAMES:
            return RULE_NAMES[candidate]
    return rule_id


def _project(event: EscalationEvent) -> str:
    name = event.project_name or f"项目 {event.project_id}"
    return f"{name}（{event.project_code}）" if event.project_code else name


def event_title(event: EscalationEvent) -> str:
    return f"【{_KIND_TAGS[event.kind]}】{event.project_name or event.project_code or '重点项目'}：{event.level_name}"


def _level_line(event: EscalationEvent) -> str:
    if isinstance(event, EscalationEscalated):
        return f"第{event.previous_level}级 → 第{event.level}级 {event.level_name}"
    return f"第{event.level}级 {event.level_name}"


def _duty(event: EscalationEvent, role: str) -> str:
    term = f"{event.evidence['deadline']}前" if "deadline" in event.evidence else _DEFAULT_TERM
    if isinstance(event, EscalationResolved):
        return "该事项已消除，请知悉并于归档时附本通知备查。" if role == "action" else "该事项已消除，请知悉。"
    if role == "action":
        return f"请于{term}核实情况、提出处置意见，并书面反馈重点项目办。"
    return f"请知悉，并督促责任单位于{term}落实、反馈。"


def _fields(event: EscalationEvent) -> list[tuple[str, str]]:
    return [
        ("项目名称", event.project_name or "（未登记）"),
        ("项目代码", event.project_code or "（无）"),
        ("规则", f"{rule_name(event.rule_id)}（{event.rule_id} 第{event.rule_version}版）"),
        ("级别", _level_line(event)),
        ("评估日期", event.as_of.isoformat()),
        ("对象", event.subject),
    ]


def render_event(event: EscalationEvent, recipient: Recipient) -> Message:
    """The message for one recipient; `recipient.role` decides what it is asked to do."""
    fields = _fields(event)
    evidence = [(EVIDENCE_LABELS.get(k, k), format_evidence_value(k, v)) for k, v in event.evidence.items()]
    duty = _duty(event, recipient.role)
    md = [f"**{event.summary}**", "", *(f"- **{k}**：{v}" for k, v in fields), "", "**依据事实**", ""]
    md += [f"- {k}：{v}" for k, v in evidence] or ["- （无）"]
    md += ["", f"**{recipient.name}**：{duty}"]
    plain = [event.summary, "", *(f"{k}：{v}" for k, v in fields), "", "依据事实："]
    plain += [f"  {k}：{v}" for k, v in evidence] or ["  （无）"]
    plain += ["", f"{recipient.name}：{duty}"]
    return Message(title=event_title(event), text_markdown="\n".join(md), text_plain="\n".join(plain))


def render_digest(events: Sequence[EscalationEvent], recipient_name: str) -> Message:
    """Several events in one message, for when a robot's rate limit would drop the rest."""
    lines = [f"{_KIND_TAGS[e.kind]}｜{_project(e)}｜{_level_line(e)}｜{e.summary}" for e in events]
    title = f"【汇总】重点项目预警{len(events)}条"
    head = f"{recipient_name}：共有{len(events)}条重点项目预警变化，请逐条核实。"
    md = "\n".join([head, "", *(f"{i}. {line}" for i, line in enumerate(lines, 1))])
    plain = "\n".join([head, *(f"{i}. {line}" for i, line in enumerate(lines, 1))])
    return Message(title=title, text_markdown=md, text_plain=plain)
