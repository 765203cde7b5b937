"""The one catalogue of what people read for a machine name: rules, evidence, project fields, states, roles; Chinese first, English second.

Console, notifier, bulletin and CLI all look names up here, so a rule or a field is called the same everywhere.
Values are (zh, en); `shared/wording.py` turns keys, paths and raw values into text with these.
"""
from __future__ import annotations

Label = tuple[str, str]

RULES: dict[str, Label] = {
    "R1.idle_land": ("闲置土地", "Idle land"),
    "R1.started_but_idle": ("统计开工但土地闲置", "Counted as started, land still idle"),
    "R2.budget_overrun": ("超概算", "Budget overrun"),
    "R3.central_funds": ("中央预算内资金当年开工", "Central funds to start the same year"),
    "R4.milestone": ("倒排工期节点逾期", "Overdue milestone"),
    "R4.ledger_missing": ("月度台账未报", "Monthly ledger missing"),
    "R5.investment_progress": ("投资欠序时进度", "Investment behind schedule"),
    "R5.plan_missed": ("未完成下月计划", "Next month's plan missed"),
    "R6.data_freshness": ("数据超期未更新", "Stale data"),
    "R7.approval_lapse": ("核准文件将失效", "Approval lapsing"),
    "R7.sme_payment": ("拖欠中小企业款项", "Late payment to a small supplier"),
    "R7.stats_enrolment": ("开工未入统", "Started but not in the statistics"),
}

# Evidence keys the rules write (thresholds are "threshold.<policy key>": see POLICY).
EVIDENCE: dict[str, Label] = {
    "actual_start_date": ("动工开发日期", "Development start"), "agreed_start_date": ("约定动工开发日期", "Agreed start"),
    "annual_plan_fen": ("年度计划投资", "Annual plan"), "base_date": ("起算日期", "Counted from"),
    "base_fen": ("比较基数", "Base amount"), "base_kind": ("起算依据", "Counted from what"),
    "behind_points": ("落后序时进度(百分点)", "Points behind schedule"), "blocking_department": ("阻滞部门", "Blocking department"),
    "budget_adjustment_fen": ("已批准调整", "Approved adjustment"), "budget_fen": ("批复预算", "Approved budget"),
    "colour": ("颜色", "Colour"), "committed_cost_fen": ("合同承诺成本", "Committed cost"),
    "days_elapsed": ("已过天数", "Days elapsed"), "days_idle": ("已闲置天数", "Days idle"),
    "days_overdue": ("逾期天数", "Days overdue"), "days_to_due": ("距到期天数", "Days to due"),
    "deadline": ("办理期限", "Deadline"), "delay_cause": ("延误原因", "Cause of delay"), "delay_start": ("暂停计时起始", "Pause since"),
    "developed_area_m2": ("已开发面积", "Developed area"), "done_fen": ("已完成投资", "Investment done"),
    "due": ("应完成日期", "Due"), "due_on": ("应报送日期", "Due on"), "due_provisional": ("期限待定", "Provisional due date"),
    "expected_percent": ("应达比例", "Expected share"), "fresh_until": ("数据有效至", "Fresh until"),
    "graded_month": ("评价月份", "Graded month"), "handover_date": ("交地日期", "Land handed over"),
    "idle_fee_fen": ("闲置费(估算)", "Idle fee (estimate)"), "idle_fee_percent": ("闲置费比例", "Idle fee rate"),
    "idle_parcels": ("闲置地块", "Idle parcels"), "idle_period_end": ("满一年之日", "One full year on"),
    "idle_since": ("闲置起算日", "Idle since"), "investment_excl_land_fen": ("已完成投资(不含地价税费)", "Investment excl. land"),
    "issued_on": ("下达日期", "Issued on"), "land_price_fen": ("土地价款", "Land price"),
    "lapses_on": ("失效日期", "Lapses on"), "last_progress_date": ("最后实物进度日期", "Last progress on site"),
    "last_reported_on": ("最后报送日期", "Last reported"), "ledger_month": ("台账月份", "Ledger month"),
    "level_months": ("已满月数", "Months reached"), "milestone": ("节点", "Milestone"), "months": ("评价期间", "Months graded"),
    "original_period_end": ("原满期日", "Original period end"), "overrun_fen": ("超支金额", "Overrun"),
    "overrun_percent": ("超支比例", "Overrun share"), "paid_fen": ("已支付", "Paid"), "paid_percent": ("支付比例", "Paid share"),
    "pay_window_end": ("支付期满", "Payment window ends"), "payment_days": ("约定付款天数", "Agreed payment days"),
    "payment_id": ("付款编号", "Payment"), "paused_days": ("暂停计时天数", "Days paused"), "period_end": ("期满日期", "Period ends"),
    "plan_fen": ("计划投资", "Planned investment"), "plan_kind": ("计划口径", "Plan basis"), "planned": ("计划日期", "Planned"),
    "red_from": ("转红日期", "Red from"), "required_area_m2": ("应开发面积", "Required area"),
    "rule_article": ("条款", "Article"), "rule_source": ("依据", "Legal source"), "scope": ("评价范围", "Scope"),
    "spent_cost_fen": ("已支付成本", "Spent cost"), "stage": ("阶段", "Stage"), "stalled_by": ("停滞情形", "Stalled by"),
    "start_date": ("开工日期", "Start date"), "start_deadline": ("应开工日期", "Start deadline"), "start_kind": ("开工口径", "Start basis"),
    "stats_start_date": ("统计新开工日期", "Statistical start"), "supplier": ("供应商", "Supplier"),
    "threshold_percent": ("阈值", "Threshold"), "threshold_rule": ("阈值规则", "Threshold rule"),
    "total_investment_fen": ("总投资", "Total investment"), "type": ("闲置类型", "Idle type"),
    "warning_from": ("预警起始", "Warning from"), "yellow_period_end": ("黄灯期满", "Yellow period ends"),
    "amount_fen": ("金额", "Amount"), "accepted_on": ("验收日期", "Accepted on"), "batch_id": ("资金批次", "Funds batch"),
    "approved_on": ("核准日期", "Approved on"), "red": ("红灯", "Red"), "yellow": ("黄灯", "Yellow"), "grey": ("灰色", "Grey"),
    "stats_enrolment": ("入统", "Statistics enrolment"), "parcel_id": ("地块编号", "Parcel"),
    "deemed_start_date": ("视为动工开发日期", "Deemed start"), "deadline_provisional": ("期限待定", "Provisional deadline"),
    "overdue_since": ("逾期起始日", "Overdue since"), "explanation_due": ("说明整改期满日(自逾期次日起算)", "Explanation period ends (counted from the overdue day)"),
    "explanation_due_provisional": ("说明期限待定", "Explanation due date provisional"),
    "approval_start_date": ("立项开工日期", "Start by approval"),
    "plan_month": ("报送计划的台账月份", "Ledger that set the plan"), "shortfall_fen": ("未完成差额", "Shortfall"),
    "missed_months": ("连续未完成月数", "Months missed running"), "missed_since": ("首次未完成月份", "Missed since"),
    "plan_text": ("下月计划(文字)", "The plan in words"), "previous_plan_fen": ("上月计划投资", "Last month's plan"),
    "previous_done_fen": ("上月完成投资", "Last month's investment"),
}

# County policy keys (shown as thresholds in evidence and the CLI).
POLICY: dict[str, Label] = {
    "idle_warning_months": ("闲置预警月数", "Idle warning months"), "idle_fee_months": ("征收闲置费月数", "Idle fee after months"),
    "idle_reclaim_months": ("无偿收回月数", "Reclamation after months"),
    "deemed_start_after_handover_months": ("交地后视为动工月数", "Deemed start after handover, months"),
    "idle_fee_percent": ("闲置费比例", "Idle fee rate"), "stalled_developed_fraction": ("停滞开发面积比例", "Stalled developed share"),
    "stalled_investment_fraction": ("停滞投资比例", "Stalled investment share"), "overrun_base": ("超概比较口径", "Overrun base"),
    "overrun_case_percent": ("超概立案比例", "Overrun case threshold"), "overrun_strictly_greater": ("须超过阈值", "Strictly over"),
    "central_start_yellow_months": ("中央资金黄灯月数", "Central funds yellow months"),
    "central_pay_window_months": ("中央资金支付期(月)", "Central funds payment window (months)"),
    "central_pay_red_points": ("支付落后红灯百分点", "Payment red points"), "milestone_warning_days": ("节点提前预警天数", "Milestone warning days"),
    "milestone_explanation_workdays": ("说明期限(工作日)", "Explanation workdays"),
    "milestone_red_after_months": ("节点逾期转红月数", "Milestone red after months"), "ledger_due_day": ("台账报送日", "Ledger due day"),
    "reporting_stages": ("须报台账的阶段", "Stages that report"), "progress_yellow_points": ("欠进度黄灯百分点", "Behind yellow points"),
    "progress_red_points": ("欠进度红灯百分点", "Behind red points"), "progress_window_months": ("近期评价月数", "Recent window months"),
    "stale_after_months": ("数据超期月数", "Stale after months"), "approval_lapse_months": ("核准失效月数", "Approval lapses after months"),
    "approval_extension_max_months": ("延期最长月数", "Longest extension months"),
    "approval_warning_months": ("核准失效提前预警月数", "Approval warning months"), "sme_payment_days": ("中小企业付款天数", "SME payment days"),
    "sme_red_after_days": ("付款逾期转红天数", "SME red after days"),
    "stats_enrolment_yellow_months": ("入统黄灯月数", "Enrolment yellow months"),
    "stats_enrolment_red_months": ("入统红灯月数", "Enrolment red months"),
    "stats_min_total_investment_fen": ("入统最低总投资", "Least total investment for the statistics"),
    "plan_missed_tolerance_percent": ("下月计划容差(%)", "Plan tolerance (%)"),
    "plan_missed_red_months": ("连续未完成计划转红月数", "Plan missed, red after months running"),
}

# Project facts, as the change log names them (tracker's paths: `land_parcels.<id>.<field>` and the like).
PROJECT_FIELDS: dict[str, Label] = {
    "name": ("项目名称", "Name"), "stage": ("阶段", "Stage"), "nature": ("性质", "Nature"),
    "government_funded": ("政府投资", "Government funded"), "leader": ("包抓领导", "Leader"),
    "lead_department": ("牵头部门", "Lead department"), "responsible_unit": ("责任单位", "Responsible unit"),
    "owner_unit": ("建设单位", "Owner"), "total_investment_fen": ("总投资", "Total investment"),
    "annual_plan_fen": ("年度计划投资", "Annual plan"), "annual_plan_year": ("计划年度", "Plan year"),
    "ledger_month": ("台账月份", "Ledger month"),
    "investment_month_fen": ("本月完成投资", "Investment this month"), "investment_ytd_fen": ("年度累计完成投资", "Investment this year"),
    "budget_fen": ("批复预算", "Budget"), "budget_adjustment_fen": ("已批准调整", "Approved adjustment"),
    "committed_cost_fen": ("合同承诺成本", "Committed cost"), "spent_cost_fen": ("已支付成本", "Spent cost"),
    "overrun_approval": ("超概批复", "Overrun approval"), "township": ("乡镇街道", "Township"),
    "stats_start_date": ("统计新开工日期", "Statistical start"), "stats_enrolled_on": ("入统日期", "Enrolled in statistics"),
    "approval": ("核准备案", "Approval"), "self_reported_colour": ("自报颜色", "Self-reported colour"),
    "project_code": ("项目代码", "Project code"), "local_ids": ("本地编号", "Local ids"),
    "land_parcels": ("地块", "Parcel"), "milestones": ("节点", "Milestone"), "central_funds": ("中央预算内资金", "Central funds"),
    "sme_payments": ("中小企业款项", "SME payment"), "ledger": ("月度台账", "Monthly ledger"),
    "expropriation": ("征迁进度", "Expropriation"), "reported_problems": ("存在问题", "Reported problem"),
    "annual_plans": ("年度计划", "Annual plan "),
    # Fields inside the keyed collections.
    "parcel_id": ("地块编号", "Parcel id"), "agreed_start_date": ("约定动工开发日期", "Agreed start"),
    "handover_date": ("交地日期", "Handover"), "land_price_fen": ("土地价款", "Land price"),
    "required_area_m2": ("应开发面积", "Required area"), "developed_area_m2": ("已开发面积", "Developed area"),
    "investment_excl_land_fen": ("已完成投资(不含地价税费)", "Investment excl. land"),
    "actual_start_date": ("动工开发日期", "Development start"), "last_progress_date": ("最后实物进度日期", "Last progress"),
    "government_delays": ("政府原因暂停", "Government-caused pauses"), "planned": ("计划日期", "Planned"),
    "actual": ("实际日期", "Actual"), "baseline": ("原计划日期", "Baseline"), "baseline_reason": ("调整原因", "Why it moved"),
    "blocking_department": ("阻滞部门", "Blocking department"), "batch_id": ("批次", "Batch"), "issued_on": ("下达日期", "Issued on"),
    "amount_fen": ("金额", "Amount"), "paid_fen": ("已支付", "Paid"), "payment_id": ("付款编号", "Payment"),
    "supplier": ("供应商", "Supplier"), "accepted_on": ("验收日期", "Accepted on"), "agreed_days": ("约定付款天数", "Agreed days"),
    "paid_on": ("付款日期", "Paid on"), "month": ("月份", "Month"), "plan_fen": ("计划投资", "Planned investment"),
    "investment_fen": ("完成投资", "Investment"), "ytd_fen": ("年度累计", "Year to date"), "progress": ("形象进度", "Progress"),
    "problems": ("存在问题", "Problems"), "next_month_plan": ("下月计划", "Next month's plan"),
    "next_month_plan_fen": ("下月计划投资", "Next month's planned investment"), "as_of": ("日期", "As of"),
    "households_total": ("应签约户数", "Households"), "households_signed": ("已签约户数", "Households signed"),
    "year": ("年度", "Year"), "key": ("编号", "Number"), "description": ("问题描述", "Description"), "category": ("类别", "Category"),
    "responsible_department": ("责任部门", "Responsible department"), "reported_on": ("报告日期", "Reported on"),
}

# States and kinds: stages, natures, colours, case states and actions, escalation statuses, exception kinds.
STATES: dict[str, Label] = {
    "reserve": ("储备", "reserve"), "negotiating": ("在谈", "negotiating"), "signed": ("签约", "signed"),
    "started": ("开工", "started"), "completed": ("竣工", "completed"), "in_production": ("投产", "in production"),
    "at_capacity": ("达产", "at capacity"), "cancelled": ("调出", "cancelled"), "new": ("新建", "new"),
    "continuing": ("续建", "continuing"),
    "red": ("红", "red"), "yellow": ("黄", "yellow"), "green": ("绿", "green"), "grey": ("灰(数据超期)", "grey (stale)"),
    "opened": ("待签收", "to acknowledge"), "acknowledged": ("已签收", "acknowledged"), "replied": ("已反馈", "replied"),
    "reviewed": ("已复核", "reviewed"), "closed": ("已办结", "closed"), "withdrawn": ("已撤销", "withdrawn"),
    "open": ("在办", "open"), "resolved": ("已解除", "resolved"),
    "cleared": ("已解除", "cleared"),
    "government_delay": ("政府原因延误", "government-caused delay"), "force_majeure": ("不可抗力", "force majeure"),
    "tolerance": ("容错免责", "tolerance"), "pending": ("待认定", "pending"), "confirmed": ("已认定", "confirmed"),
    "rejected": ("未认定", "rejected"),
}

# What a case step did (立案, 签收 …): the audit log and the live panel read "who did what → new state".
CASE_ACTIONS: dict[str, Label] = {
    "opened": ("立案督办", "opened"), "acknowledged": ("签收", "acknowledged"), "replied": ("反馈", "replied"),
    "reviewed": ("复核", "reviewed"), "closed": ("办结", "closed"), "reopened": ("重新督办", "reopened"),
    "climbed": ("督办升级", "climbed"), "exception_claimed": ("申请例外", "exception claimed"),
    "exception_confirmed": ("例外认定", "exception confirmed"), "exception_rejected": ("例外驳回", "exception rejected"),
    "retargeted": ("转办", "moved to the department the rule names"), "withdrawn": ("撤销督办", "withdrawn"),
    "acknowledge": ("签收", "acknowledge"), "reply": ("反馈", "reply"), "review": ("复核", "review"), "close": ("办结", "close"),
    "reopen": ("重新督办", "reopen"), "exception": ("申请例外", "claim an exception"),
    "exception_decision": ("认定例外", "decide an exception"),
    "raised": ("新预警", "raised"), "escalated": ("预警升级", "escalated"),
}

ROLES: dict[str, Label] = {
    "office": ("项目办", "Project office"), "leader": ("包抓领导", "Leader"), "department": ("部门", "Department"),
    "readonly": ("只读", "Read-only"), "system": ("系统", "System"),
}

# Raw values some evidence carries (an idle parcel's base, a delay's cause, the plan's basis).
VALUES: dict[str, Label] = {
    "agreed_start": ("约定动工开发日期", "agreed start"), "deemed_from_handover": ("交地后视为动工", "deemed from handover"),
    "last_progress": ("最后实物进度", "last progress"), "land_not_delivered": ("土地未按期交付", "land not delivered"),
    "plan_revised": ("规划调整", "plan revised"), "new_policy": ("政策调整", "new policy"), "petitions": ("信访维稳", "petitions"),
    "military_or_relics": ("军事管制或文物保护", "military or relics"), "other_government_act": ("其他政府行为", "other government act"),
    "annual_by_months": ("年度计划按月平均", "annual plan by months"), "monthly_curve": ("台账月度计划", "the ledger monthly plan"),
    "ytd": ("年度累计", "year to date"), "quarter": ("近三个月", "last three months"), "developed_area": ("开发面积不足", "developed area short"),
    "investment": ("投资不足", "investment short"), "land": ("动工开发", "land-law start"), "approval": ("立项开工", "approval start"),
    "stats": ("统计新开工", "statistical start"), "greater_than": ("超过", "over"), "at_least": ("达到", "at least"),
    "True": ("是", "yes"), "False": ("否", "no"), "true": ("是", "yes"), "false": ("否", "no"),
    "A": ("A类(未动工)", "A (never started)"), "B": ("B类(停滞)", "B (stalled)"),
    "policy": ("政策调整", "policy"), "price": ("价格上涨", "price"), "geology": ("地质变化", "geology"),
    "government_caused": ("政府原因", "government-caused"),
}

# The monthly bulletin's headline figures (BulletinPublished.headline), with their unit.
HEADLINE: dict[str, tuple[str, str, str]] = {
    "projects": ("项目数", "Projects", "个"), "start_rate_percent": ("开工率", "Start rate", "%"),
    "start_rate_target_percent": ("开工率目标", "Start rate target", "%"),
    "start_forecast_percent": ("年底开工率预测", "Year-end start forecast", "%"),
    "completion_rate_percent": ("竣工率", "Completion rate", "%"), "production_rate_percent": ("投产率", "Production rate", "%"),
    "investment_completion_percent": ("投资完成率", "Investment completion", "%"),
    "investment_schedule_percent": ("序时进度", "Time-proportional", "%"), "behind_projects": ("欠进度项目", "Behind schedule", "个"),
    "idle_parcels": ("闲置地块", "Idle parcels", "宗"), "open_cases": ("在办督办件", "Open cases", "件"),
    "letters_on_time_percent": ("交办函按期反馈率", "Letters answered on time", "%"),
    "problems_raised": ("本月提出问题", "Problems raised", "个"), "problems_solved": ("本月解决问题", "Problems solved", "个"),
    "problems_overdue": ("逾期未解决问题", "Problems overdue", "个"),
    "long_open_problems": ("长期未解决问题", "Problems open long", "个"),
    "assignments_on_time_percent": ("会议交办事项落实率", "Assignments closed on time", "%"),
}

# What an escalation is about (its `subject`): "parcel:XH-1" reads 地块XH-1.
SUBJECTS: dict[str, Label] = {
    "parcel": ("地块", "parcel "), "milestone": ("节点", "milestone "), "central_fund": ("中央资金批次", "central funds batch "),
    "central_fund_payment": ("中央资金支付·批次", "central funds payment, batch "), "investment": ("投资进度", "investment "),
    "sme_payment": ("中小企业款项", "SME payment "), "data": ("数据更新", "data updates"), "ledger": ("月度台账", "monthly ledger"),
    "approval": ("核准文件", "approval"), "stats_enrolment": ("入统", "statistics enrolment"),
    "start_vs_land": ("开工统计与土地动工", "start counted vs land started"), "budget": ("预算", "budget"),
    "project": ("项目", "project"), "monthly_plan": ("下月计划完成情况", "next month's plan"),
}
