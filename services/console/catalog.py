"""Every text the pages show, in zh-CN (first) and English: one small catalog, looked up by key.

Names of states, stages, rules and case steps come from the shared catalogue (shared/labels.py)."""
from __future__ import annotations

from shared.labels import CASE_ACTIONS, RULES, STATES

LANGS = ("zh", "en")

TEXTS: dict[str, tuple[str, str]] = {
    "app": ("推进 · 重点项目挂图作战", "Tuijin · key-project battle map"),
    "login": ("登录", "Sign in"), "logout": ("退出", "Sign out"), "login_name": ("账号", "Login"),
    "password": ("密码", "Password"), "login_failed": ("账号或密码不正确", "Wrong login or password"),
    "login_throttled": ("密码错误次数过多，请15分钟后再试", "Too many wrong passwords; try again in 15 minutes"),
    "overview": ("总览", "Overview"), "projects": ("项目", "Projects"), "cases": ("督办", "Cases"),
    "rankings": ("红黑榜", "Rankings"), "idle_land": ("闲置土地", "Idle land"), "bulletins": ("月度通报", "Bulletins"),
    "start_rate": ("开工率", "Start rate"), "completion_rate": ("竣工率", "Completion rate"),
    "production_rate": ("投产率", "Production rate"), "target": ("目标", "Target"), "forecast": ("年底预计", "Year-end forecast"),
    "investment": ("投资完成", "Investment completed"), "time_curve": ("序时进度", "Time-proportional"),
    "by_colour": ("项目颜色", "Projects by colour"), "open_cases": ("在办督办", "Open cases"),
    "by_level": ("按层级", "By level"), "by_department": ("按部门", "By department"),
    "since_last_week": ("近一周变化", "Changed since last week"), "updates": ("条更新", "updates"),
    "raised": ("新预警", "raised"), "resolved": ("已消除", "resolved"), "escalated": ("升级", "escalated"),
    "red": ("红", "Red"), "yellow": ("黄", "Yellow"), "green": ("绿", "Green"), "grey": ("灰(数据超期)", "Grey (stale)"),
    "stage": ("阶段", "Stage"), "nature": ("性质", "Nature"), "township": ("乡镇街道", "Township"),
    "responsible_unit": ("责任单位", "Responsible unit"), "leader": ("包抓领导", "Leader"), "rule": ("规则", "Rule"),
    "colour": ("颜色", "Colour"), "name": ("项目名称", "Project"), "code": ("项目代码", "Project code"),
    "total_investment": ("总投资(万元)", "Total investment (10k yuan)"), "ytd": ("年度完成(万元)", "Done this year (10k yuan)"),
    "annual_plan": ("年度计划(万元)", "Annual plan (10k yuan)"), "filter": ("筛选", "Filter"), "all": ("全部", "All"),
    "export": ("导出Excel", "Export XLSX"), "view_reserve": ("储备清单", "Reserve list"),
    "view_to_start": ("开工清单", "To-start list"), "view_in_progress": ("在建清单", "In-progress list"),
    "count": ("数量", "Count"), "milestones": ("节点(倒排工期)", "Milestones"), "baseline": ("原计划", "Baseline"),
    "planned": ("计划", "Planned"), "actual": ("实际", "Actual"), "ledger": ("月度台账", "Monthly ledger"),
    "month": ("月份", "Month"), "plan": ("计划(万元)", "Plan (10k yuan)"), "done": ("完成(万元)", "Done (10k yuan)"),
    "progress": ("形象进度", "Progress"), "land": ("用地", "Land"), "budget": ("预算", "Budget"),
    "expropriation": ("征迁进度", "Expropriation"), "households": ("户", "households"), "signed": ("已签约", "Signed"),
    "escalations": ("预警与督办", "Escalations and cases"), "legal_source": ("依据", "Legal source"),
    "evidence": ("证据", "Evidence"), "history": ("经过", "History"), "change_log": ("变更记录", "Change log"),
    "source_system": ("来源系统", "Source system"), "fields": ("字段", "Fields"), "time": ("时间", "Time"),
    "level": ("层级", "Level"), "state": ("状态", "State"), "due": ("期限", "Due"), "target_unit": ("承办", "Assigned to"),
    "acknowledge": ("签收", "Acknowledge"), "reply": ("反馈", "Reply"), "review": ("复核", "Review"), "close": ("办结", "Close"),
    "reopen": ("重新打开", "Reopen"), "exception": ("申请例外", "Claim an exception"), "decide": ("认定例外", "Decide exception"),
    "note": ("说明", "Note"), "explanation": ("原因说明", "Explanation"), "remedy_plan": ("整改措施", "Remedy plan"),
    "accepted": ("通过", "Accepted"), "rejected": ("不通过", "Rejected"), "reason": ("理由", "Reason"),
    "kind": ("类型", "Kind"), "blocking_department": ("阻滞部门", "Blocking department"), "submit": ("提交", "Submit"),
    "queue_mine": ("我的督办", "My cases"), "queue_all": ("全部督办", "All cases"), "overdue": ("已逾期", "Overdue"),
    "due_this_week": ("本周到期", "Due this week"), "no_items": ("暂无", "None"), "open_project": ("查看", "Open"),
    "red_list": ("红榜", "Honour list"), "black_list": ("黑榜", "Black list"), "score": ("绿色占比", "Green share"),
    "signed_rate": ("签约率", "Signed"), "parcel": ("地块", "Parcel"), "days_to_idle": ("距闲置(天)", "Days to idle"),
    "days_idle": ("已闲置(天)", "Days idle"), "idle_fee": ("闲置费(估算)", "Idle fee (estimate)"), "track": ("处置", "Track"),
    "fee_track": ("征收闲置费", "Idle fee"), "reclaim_track": ("无偿收回", "Reclamation"), "warning_track": ("预警", "Warning"),
    "view": ("查看", "View"), "download": ("下载", "Download"), "live": ("实时动态", "Live"),
    "live_hint": ("新预警与督办自动出现", "New escalations and cases appear here"), "acted": ("已办理", "Done"),
    "action_failed": ("办理失败", "Action failed"), "role_office": ("项目办", "Project office"),
    "role_leader": ("领导", "Leader"), "role_department": ("部门", "Department"), "role_readonly": ("只读", "Read-only"),
    "page_rows": ("共 {n} 个项目", "{n} projects"), "scope_note": ("只显示转给本部门的项目", "Only projects routed to your department"),
    "bulletin_unavailable": ("通报暂不可用", "Bulletin not available"), "rank": ("名次", "Rank"),
    "case_opened": ("立案督办", "case opened"), "case_acknowledged": ("签收", "acknowledged"), "case_replied": ("反馈", "replied"),
    "case_reviewed": ("复核", "reviewed"), "case_closed": ("办结", "closed"), "case_reopened": ("重新督办", "reopened"),
    "case_climbed": ("督办升级", "climbed"), "case_exception_claimed": ("申请例外", "exception claimed"),
    "case_exception_confirmed": ("例外认定", "exception confirmed"), "case_exception_rejected": ("例外驳回", "exception rejected"),
    "case_retargeted": ("转办", "moved to the department the rule names"),
    "open_escalations": ("在办预警", "Open escalations"), "my_projects": ("我包抓的项目", "My projects"), "none_yet": ("尚无数据", "No data yet"),
    "version": ("版本", "Version"), "recorded_at": ("县里记录时间", "Recorded by the county"),
    "processed_at": ("本系统处理时间", "Processed here"), "beijing_time": ("北京时间", "Beijing time"),
    "must_act": ("必须办理", "Must act"), "must_act_hint": ("红色与逾期事项，按紧急程度排序", "Red and overdue items, most urgent first"),
    "by_departments": ("部门与单位", "Departments and units"), "by_leaders": ("领导", "Leaders"),
    "who_acts": ("责任方", "Who must act"), "days_overdue": ("逾期{n}天", "{n} days overdue"), "more_items": ("全部{n}件", "All {n}"),
    "case_total": ("共{n}件", "{n} cases"), "page_of": ("第{page}/{pages}页", "Page {page} of {pages}"),
    "prev_page": ("上一页", "Previous"), "next_page": ("下一页", "Next"), "queue_visible": ("本部门可见的其他督办", "Other cases you can see"),
    "letter": ("交办函", "Assignment letter"), "letter_number": ("文号", "Number"), "handler": ("承办人", "Handler"),
    "handler_department": ("承办部门", "Handling department"), "issued_on": ("签发日期", "Issued on"),
    "signed_by": ("签发领导", "Signed by"), "letter_text": ("内容", "Text"), "reason_line": ("事由", "Reason"),
    "actor": ("办理人", "By"), "error_title": ("出错了", "Something went wrong"), "open_count": ("在办{n}件", "{n} open"),
    "provisional": ("节假日安排未公布，期限暂按周末计算", "Holidays not yet announced: counted on weekends only"),
    "paused": ("计时暂停", "Clocks paused"), "no_letter": ("尚未发交办函", "No letter yet"),
}

def translator(lang: str):  # noqa: ANN201 - returns (key, **fields) -> str
    index = 1 if lang == "en" else 0

    def t(key: str, **fields: object) -> str:
        text = TEXTS.get(key) or STATES.get(key) or CASE_ACTIONS.get(key) or RULES.get(key)
        value = text[index] if text else key
        return value.format(**fields) if fields else value

    return t
