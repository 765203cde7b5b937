"""Rejection messages a county clerk can act on: the field by its Chinese label and what is expected, in
Chinese first, English second (`项目代码：应为24位… / project_code: …`), instead of pydantic's wording
with a regular expression in it."""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

LABELS = {
    "project_code": "项目代码", "local_id": "本地编号", "source_system": "来源系统", "source_record_id": "来源记录编号",
    "source_record_time": "填报时间", "name": "名称", "stage": "项目阶段", "nature": "建设性质", "government_funded": "是否政府投资",
    "leader": "包抓领导", "lead_department": "牵头部门", "responsible_unit": "责任单位", "owner_unit": "建设单位",
    "total_investment_fen": "总投资", "annual_plan_fen": "年度计划投资", "annual_plan_year": "计划年度", "ledger_month": "台账月份", "investment_month_fen": "本月完成投资",
    "investment_ytd_fen": "累计完成投资", "budget_fen": "批复预算", "budget_adjustment_fen": "预算调整", "committed_cost_fen": "合同金额",
    "spent_cost_fen": "已支付金额", "overrun_approval": "超概算批复", "land_parcel": "地块", "milestones": "节点", "township": "乡镇街道",
    "stats_start_date": "统计新开工日期", "stats_enrolled_on": "入统日期", "approval": "核准", "central_funds": "中央预算内资金",
    "sme_payments": "中小企业账款", "ledger": "月度台账", "self_reported_colour": "自报颜色", "expropriation": "征迁进度",
    "reported_problems": "存在问题", "parcel_id": "地块编号", "agreed_start_date": "约定动工日期", "handover_date": "交地日期",
    "land_price_fen": "土地价款", "required_area_m2": "应开发面积", "developed_area_m2": "已开发面积",
    "investment_excl_land_fen": "不含地价投资", "actual_start_date": "实际动工日期", "last_progress_date": "最近施工日期",
    "government_delays": "政府原因延期", "planned": "计划日期", "actual": "实际日期", "baseline": "原计划日期", "baseline_reason": "调整原因",
    "month": "月份", "plan_fen": "计划投资", "investment_fen": "完成投资", "ytd_fen": "累计完成", "progress": "形象进度", "problems": "存在问题",
    "next_month_plan": "下月计划", "next_month_plan_fen": "下月计划投资", "batch_id": "资金批次", "amount_fen": "金额", "issued_on": "下达日期",
    "payment_id": "账款编号", "supplier": "供应商", "accepted_on": "验收日期", "agreed_days": "约定付款天数", "paid_fen": "已付金额",
    "paid_on": "付款日期", "as_of": "统计日期", "households_total": "应征迁户数", "households_signed": "已签约户数", "key": "问题编号",
    "description": "问题描述", "category": "问题类别", "responsible_department": "责任部门", "reported_on": "报告日期", "start": "开始日期",
    "end": "结束日期", "cause": "原因", "blocking_department": "阻滞部门", "reason": "说明", "approved": "是否批准", "approved_on": "批准日期",
    "reference": "文号", "kind": "类型", "extended_until": "延期至",
}
PROJECT_CODE = ("应为24位项目代码，格式 YYMM-RRRRRR-DD-TT-NNNNNN（如 2403-330106-04-01-000123）",
                "a 24-character 项目代码: YYMM-RRRRRR-DD-TT-NNNNNN, e.g. 2403-330106-04-01-000123")


def label(loc: Sequence[int | str]) -> str:
    """`land_parcel.agreed_start_date` → 地块·约定动工日期; list positions as 第N项."""
    parts = [LABELS.get(part, part) if isinstance(part, str) else f"第{part + 1}项" for part in loc]
    return "·".join(parts) or "条目"


def expected(kind: str, ctx: Mapping[str, Any], field: str) -> tuple[str, str] | None:
    """What the field should hold, (中文, English), for the error types counties meet; None: pydantic's own words."""
    if field == "project_code" and kind == "string_pattern_mismatch":
        return PROJECT_CODE
    if field.endswith("month") and kind == "string_pattern_mismatch":
        return "应为年月，格式 YYYY-MM（如 2026-11）", "a month as YYYY-MM, e.g. 2026-11"
    table: dict[str, tuple[str, str]] = {
        "missing": ("必须填写", "is required"),
        "extra_forbidden": ("不是可上报的字段（请检查拼写）", "is not a field of an update (check the spelling)"),
        "string_too_long": (f"最多 {ctx.get('max_length')} 个字符", f"at most {ctx.get('max_length')} characters"),
        "string_too_short": ("不能为空", "must not be empty"),
        "string_type": ("应为文字", "must be text"),
        "int_type": ("应为整数（金额以分为单位）", "must be a whole number (money in fen)"),
        "int_parsing": ("应为整数（金额以分为单位）", "must be a whole number (money in fen)"),
        "int_from_float": ("应为整数（金额以分为单位）", "must be a whole number (money in fen)"),
        "greater_than_equal": (f"不能小于 {ctx.get('ge')}", f"must be at least {ctx.get('ge')}"),
        "greater_than": (f"应大于 {ctx.get('gt')}", f"must be greater than {ctx.get('gt')}"),
        "less_than_equal": (f"不能大于 {ctx.get('le')}", f"must be at most {ctx.get('le')}"),
        "enum": (f"应为以下之一：{ctx.get('expected')}", f"must be one of {ctx.get('expected')}"),
        "literal_error": (f"应为以下之一：{ctx.get('expected')}", f"must be one of {ctx.get('expected')}"),
        "bool_parsing": ("应为 true 或 false", "must be true or false"),
        "bool_type": ("应为 true 或 false", "must be true or false"),
        "date_parsing": ("应为日期，格式 YYYY-MM-DD", "a date as YYYY-MM-DD"),
        "date_from_datetime_parsing": ("应为日期，格式 YYYY-MM-DD", "a date as YYYY-MM-DD"),
        "date_type": ("应为日期，格式 YYYY-MM-DD", "a date as YYYY-MM-DD"),
        "datetime_parsing": ("应为带时区的时间，如 2026-03-01T09:00:00+08:00", "a time with its zone, e.g. 2026-03-01T09:00:00+08:00"),
        "datetime_type": ("应为带时区的时间，如 2026-03-01T09:00:00+08:00", "a time with its zone, e.g. 2026-03-01T09:00:00+08:00"),
        "timezone_aware": ("应带时区，如 +08:00", "must carry its zone, e.g. +08:00"),
        "list_type": ("应为列表", "must be a list"),
        "tuple_type": ("应为列表", "must be a list"),
        "model_type": ("应为对象", "must be an object"),
        "model_attributes_type": ("应为对象", "must be an object"),
        "dict_type": ("应为对象", "must be an object"),
    }
    return table.get(kind)


def rejection(loc: Sequence[int | str], kind: str, message: str, ctx: Mapping[str, Any] | None = None) -> str:
    """One pydantic error as `中文标签：应为… / field: expected …`."""
    field = ".".join(str(part) for part in loc)
    words = expected(kind, ctx or {}, field)
    if words is None:
        english = message.removeprefix("Value error, ")
        chinese = {"either project_code or local_id is required": "缺少项目代码或本地编号",
                   "end is before start": "结束日期早于开始日期"}.get(english, "不符合要求")
        return f"{label(loc)}：{chinese} / {field or 'item'}: {english}"
    return f"{label(loc)}：{words[0]} / {field or 'item'}: {words[1]}"
