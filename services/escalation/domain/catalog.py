"""The rule catalog: each rule as data (id, version, legal source, confidence) and the thresholds a policy gives it."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from services.escalation.domain.findings import Audience, Finding
from services.escalation.domain.policy import Policy

# DOMAIN.md's marks: [N] and [R] are national law (R: from a secondary copy), [L] local practice.
Confidence = Literal["national", "local"]


@dataclass(frozen=True, slots=True)
class RuleSpec:
    rule_id: str
    version: int
    title: str
    source: str
    article: str
    confidence: Confidence
    thresholds: Callable[[Policy], dict[str, str]]


def _s(value: Any) -> str:
    return ",".join(map(str, value)) if isinstance(value, tuple) else str(value)


def _pick(*names: str) -> Callable[[Policy], dict[str, str]]:
    return lambda policy: {name: _s(getattr(policy, name)) for name in names}


SPECS: dict[str, RuleSpec] = {spec.rule_id: spec for spec in (
    RuleSpec("R1.idle_land", 1, "闲置土地", "闲置土地处置办法(国土资源部令第53号)", "第二、八、十四、三十条", "national",
             _pick("idle_warning_months", "idle_fee_months", "idle_reclaim_months", "deemed_start_after_handover_months",
                   "idle_fee_percent", "stalled_developed_fraction", "stalled_investment_fraction")),
    RuleSpec("R1.started_but_idle", 1, "统计开工但土地闲置", "闲置土地处置办法(国土资源部令第53号)", "第三十条(动工开发的界定)", "national",
             _pick("idle_fee_months")),
    RuleSpec("R2.budget_overrun", 1, "超概算", "政府投资条例", "第十二、二十三、三十四条", "national",
             _pick("overrun_base", "overrun_case_percent", "overrun_strictly_greater")),
    RuleSpec("R3.central_funds", 1, "中央预算内资金当年开工", "县重点项目推进会讲话(当年下达、当年开工)；中央预算内投资计划管理办法",
             "执行与调整(条款待核实)", "local",
             _pick("central_start_yellow_months", "central_pay_window_months", "central_pay_red_points")),
    RuleSpec("R4.milestone", 1, "倒排工期节点", "县重点项目推进会讲话(倒排工期、逐级督办)", "L0临期预警、L1逾期", "local",
             _pick("milestone_warning_days", "milestone_explanation_workdays", "milestone_red_after_months")),
    RuleSpec("R4.ledger_missing", 2, "月度台账未报", "县重点项目推进会讲话(每月通报)", "L0台账缺报", "local",
             _pick("ledger_due_day", "reporting_stages")),
    RuleSpec("R5.investment_progress", 3, "投资欠序时进度", "银川市重点项目红黄绿灯机制(2025)", "投资进度对照序时进度", "local",
             _pick("progress_yellow_points", "progress_red_points", "progress_window_months")),
    # R5, the investment-progress family: the promise is an investment figure of the same ledger (rules/plan_missed.py).
    RuleSpec("R5.plan_missed", 1, "未完成下月计划", "县重点项目推进会讲话(每月记录下月计划和当月进展，以目标倒逼进度)",
             "下月计划投资对照次月台账", "local", _pick("plan_missed_tolerance_percent", "plan_missed_red_months")),
    RuleSpec("R6.data_freshness", 1, "数据未更新", "基层减负要求与月度台账制度", "无更新即灰色，不视为正常", "local",
             _pick("stale_after_months", "reporting_stages")),
    RuleSpec("R7.approval_lapse", 1, "核准文件失效", "企业投资项目核准和备案管理条例(国务院令第673号)", "第十二条", "national",
             _pick("approval_lapse_months", "approval_extension_max_months", "approval_warning_months")),
    RuleSpec("R7.sme_payment", 1, "拖欠中小企业款项", "保障中小企业款项支付条例(国务院令第728号)", "第八、九条", "national",
             _pick("sme_payment_days", "sme_red_after_days")),
    RuleSpec("R7.stats_enrolment", 1, "开工未入统", "固定资产投资统计报表制度(先入库后有数)；银川市红黄绿灯机制(2025)", "入库时限", "local",
             _pick("stats_enrolment_yellow_months", "stats_enrolment_red_months", "stats_min_total_investment_fen")),
)}


def describe(policy: Policy) -> list[dict[str, Any]]:
    """The catalog with the thresholds of one policy, printable (CLI, documents, the policy_versions table)."""
    return [{"rule_id": s.rule_id, "version": s.version, "title": s.title, "source": s.source, "article": s.article,
             "confidence": s.confidence, "thresholds": s.thresholds(policy)} for s in SPECS.values()]


def finding(rule_id: str, policy: Policy, *, subject: str, occurrence: str, level: int, level_name: str, colour: str,
            audience: tuple[Audience, ...], evidence: Mapping[str, str], summary: str) -> Finding:
    """A finding stamped with its rule's version, source, article, colour and every threshold of the policy in effect."""
    spec = SPECS[rule_id]
    stamped = {**evidence, **{f"threshold.{k}": v for k, v in spec.thresholds(policy).items()},
               "colour": colour, "rule_source": spec.source, "rule_article": spec.article}
    return Finding(spec.rule_id, spec.version, subject, occurrence, level, level_name, audience, stamped, summary, colour)
