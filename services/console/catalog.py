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
    "raised": ("新预警", "raised"), "resolved": ("已解除", "resolved"), "escalated": ("升级", "escalated"),
    "red": ("红", "Red"), "yellow": ("黄", "Yellow"), "green": ("绿", "Green"), "grey": ("灰(数据超期)", "Grey (stale)"),
    "stage": ("阶段", "Stage"), "nature": ("性质", "Nature"), "township": ("乡镇街道", "Township"),
    "responsible_unit": ("责任单位", "Responsible unit"), "leader": ("包抓领导", "Leader"), "rule": ("规则", "Rule"),
    "colour": ("颜色", "Colour"), "name": ("项目名称", "Project"), "code": ("项目代码", "Project code"),
    "total_investment": ("总投资(万元)", "Total investment (10k yuan)"), "ytd": ("年度完成(万元)", "Done this year (10k yuan)"),
    "annual_plan": ("年度计划(万元)", "Annual plan (10k yuan)"), "plans_by_year": ("各年度计划(万元)", "Plans by year (10k yuan)"),
    "figures_year": ("计划与完成所属年度", "Year of the plan and the year to date"), "filter": ("筛选", "Filter"), "all": ("全部", "All"),
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
    "level": ("层级", "Level"), "state": ("状态", "State"), "due": ("期限", "Due"), "due_acknowledge": ("签收期限", "Sign by"),
    "due_reply": ("反馈期限", "Reply by"), "due_resolve": ("解决期限", "Resolve by"), "target_unit": ("承办", "Assigned to"),
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
    "case_retargeted": ("转办", "moved to the department the rule names"), "case_withdrawn": ("撤销督办", "withdrawn"),
    "open_escalations": ("在办预警", "Open escalations"), "my_projects": ("我包抓的项目", "My projects"), "none_yet": ("尚无数据", "No data yet"),
    "version": ("版本", "Version"), "recorded_at": ("县里记录时间", "Recorded by the county"),
    "processed_at": ("本系统处理时间", "Processed here"), "beijing_time": ("北京时间", "Beijing time"),
    "must_act": ("必须办理", "Must act"), "must_act_hint": ("红色与逾期事项，按紧急程度排序", "Red and overdue items, most urgent first"),
    "by_departments": ("部门与单位", "Departments and units"), "by_leaders": ("领导", "Leaders"),
    "who_acts": ("责任方", "Who must act"), "days_overdue": ("逾期{n}天", "{n} days overdue"), "more_items": ("全部{n}件", "All {n}"),
    "case_total": ("共{n}件", "{n} cases"),
    "list_cut": ("只列出期限最近的{n}条，请用筛选缩小范围", "Only the {n} with the nearest deadlines are listed: narrow the filters"),
    "page_of": ("第{page}/{pages}页", "Page {page} of {pages}"),
    "prev_page": ("上一页", "Previous"), "next_page": ("下一页", "Next"), "queue_visible": ("本部门可见的其他督办", "Other cases you can see"),
    "letter": ("交办函", "Assignment letter"), "letter_number": ("文号", "Number"), "handler": ("承办人", "Handler"),
    "handler_department": ("承办部门", "Handling department"), "issued_on": ("签发日期", "Issued on"),
    "signed_by": ("签发领导", "Signed by"), "letter_text": ("内容", "Text"), "reason_line": ("事由", "Reason"),
    "actor": ("办理人", "By"), "error_title": ("出错了", "Something went wrong"), "open_count": ("在办{n}件", "{n} open"),
    "provisional": ("节假日安排未公布，期限暂按周末计算", "Holidays not yet announced: counted on weekends only"),
    "paused": ("计时暂停", "Clocks paused"), "no_letter": ("尚未发交办函", "No letter yet"),
    # Problems (问题清单), meetings and assignments (交办事项).
    "problems": ("问题清单", "Problems"), "meetings": ("会议", "Meetings"), "assignments": ("交办事项", "Assignments"),
    "problem": ("问题", "Problem"), "category": ("类别", "Category"), "description": ("问题描述", "Description"),
    "project": ("项目", "Project"), "who_must_act": ("责任方", "Who must act"), "deadline": ("期限", "Deadline"),
    "months_running": ("连续{n}个月报告", "reported {n} months running"), "my_problems": ("我的问题", "My problems"),
    "all_problems": ("全部问题", "All problems"), "due_soon": ("即将到期", "Due soon"), "problems_other": ("其他问题", "Other problems"),
    "problem_total": ("共{n}个问题", "{n} problems"), "age": ("已挂账", "Open for"), "age_any": ("不限", "Any"),
    "age_days": ("{n}天以上", "over {n} days"), "age_months": ("{n}个月以上", "over {n} months"),
    "open_problems": ("未解决", "Open"), "by_category": ("按类别", "By category"), "opened_on": ("提出日期", "Raised on"),
    "raised_by": ("提出人", "Raised by"), "source": ("来源", "Source"), "responsible_department": ("责任部门", "Responsible department"),
    "level_now": ("所在层级", "Level"), "resolution": ("解决情况", "Resolution"), "what_done": ("采取的措施", "What was done"),
    "evidence_text": ("佐证材料", "Evidence"), "as_of": ("业务日", "As of"), "role": ("身份", "Role"),
    "instruction": ("交办意见", "Instruction"), "submit_reason": ("提交理由（如：需区领导协调）", "Reason (e.g. needs the leader)"),
    "raise_problem": ("提出问题", "Raise a problem"), "problem_accept": ("受理", "Accept"), "problem_start": ("开始解决", "Start solving"),
    "problem_solve": ("报解决", "Report solved"), "problem_submit": ("提交上一级", "Submit upward"),
    "problem_hand_back": ("交回", "Hand back"), "problem_agenda": ("列入会议议题", "Put on a meeting's agenda"),
    "problem_close": ("销号", "Close"), "problem_reopen": ("重新打开", "Reopen"), "choose_meeting": ("选择会议", "Meeting"),
    "no_meeting": ("暂无已安排的会议", "No meeting scheduled"), "on_meeting": ("已列入会议", "On the agenda of"),
    "held_by_assignment": ("已形成交办事项", "Carried by an assignment"), "problem_raised_ok": ("问题已提出", "Problem raised"),
    "schedule_meeting": ("安排会议", "Schedule a meeting"), "meeting_kind": ("会议类型", "Kind"), "title": ("名称", "Title"),
    "held_on": ("会议日期", "Date"), "chair": ("主持", "Chair"), "attendees": ("参会单位和人员", "Attendees"),
    "attendee_departments": ("参会部门（用顿号或逗号分隔）", "Departments (comma separated)"),
    "attendee_leaders": ("参会领导（用顿号或逗号分隔）", "Leaders (comma separated)"),
    "agenda": ("会议议题", "Agenda"), "move_up": ("上移", "Up"), "move_down": ("下移", "Down"), "remove": ("移出", "Remove"),
    "decision": ("会议决定", "Decision"), "decision_text": ("决定事项", "Decision"), "co_departments": ("配合单位", "Co-departments"),
    "follow_up_leader": ("跟踪领导", "Follow-up leader"), "record_decision": ("记录决定", "Record the decision"),
    "publish_minutes": ("印发纪要", "Issue the minutes"), "minutes": ("会议纪要", "Minutes"),
    "minutes_docx": ("下载纪要（Word）", "Minutes (Word)"), "minutes_html": ("查看纪要（网页）", "Minutes (web page)"),
    "minutes_not_yet": ("纪要尚未印发", "Minutes not issued yet"), "meeting_assignments": ("本次会议交办事项", "This meeting's assignments"),
    "decided": ("已决定", "Decided"), "item_reason": ("列入理由", "Why listed"), "number": ("编号", "Number"),
    "no_meetings": ("暂无会议", "No meetings"), "meeting_state": ("会议状态", "State"),
    "my_assignments": ("我的交办事项", "My assignments"), "all_assignments": ("全部交办事项", "All assignments"),
    "assignment_total": ("共{n}项", "{n} assignments"), "handler_unit": ("承办单位", "Handler"),
    "assignment_acknowledge": ("签收", "Acknowledge"), "assignment_report": ("报告落实情况", "Report"),
    "assignment_verify": ("核实", "Verify"), "assignment_close": ("销号", "Close"), "report": ("落实情况", "Report"),
    "overdue_problems": ("逾期问题", "Overdue problems"), "overdue_assignments": ("逾期交办事项", "Overdue assignments"),
    "coordination_failed": ("办理失败", "Action failed"), "meeting": ("会议", "Meeting"), "edit": ("调整", "Edit"),
    "days_n": ("{n}天", "{n} days"), "names_hint": ("多个单位用顿号分隔", "Separate names with commas"),
    # Referrals (移送) to an oversight body, and one project "as of" a day.
    "referrals": ("移送", "Referrals"), "referral": ("移送材料", "Referral"), "referred_to": ("受移送单位", "Referred to"),
    "referred_on": ("移送日期", "Referred on"), "acknowledged_on": ("签收日期", "Signed for on"), "acknowledged_by": ("签收人", "Signed for by"),
    "referral_sign": ("签收", "Sign for it"), "referral_total": ("共{n}件", "{n} referrals"), "not_yet_signed": ("尚未签收", "not yet signed for"),
    "signed_on": ("已签收 {day}", "signed for {day}"), "referred_line": ("已移送", "Referred"),
    "referral_scope": ("只显示移送本单位的材料", "Only referrals to your body"), "referral_what": ("移送事由", "Why referred"),
    "referral_figures": ("数据", "Figures"), "referral_escalation": ("预警经过", "The escalation"),
    "referral_told": ("告知经过", "Who was told, when"), "referral_timeline": ("时间线", "Timeline"), "told_to": ("对象", "To"), "told_by": ("经办", "By"),
    "referral_note": ("签收意见（可不填）", "Note (optional)"), "to_sign": ("待签收", "To sign for"),
    "rule_level": ("预警等级", "Level"), "level_n": ("第{n}级", "level {n}"),
    "project_problems": ("本项目问题", "This project's problems"), "project_referrals": ("本项目移送", "This project's referrals"),
    "as_of_view": ("按日查看各规则结果", "Every rule on a day"), "as_of_day": ("日期", "Day"), "show": ("查看", "Show"),
    "as_of_known": ("截至{day}：依据第{version}版数据（北京时间{at}起掌握）", "As of {day}: version {version} of the facts (known from {at}, Beijing time)"),
    "rule_clear": ("未触发", "Nothing found"), "addressees": ("送达对象", "Addressees"), "dates": ("期限与日期", "Deadlines and dates"),
    "facts_known": ("当日掌握的项目信息", "Facts known that day"), "as_of_none": ("截至该日尚无本项目数据", "Nothing known about the project by that day"),
    "read_unavailable": ("暂时无法读取，请稍后再试", "Cannot be read now; try again later"), "items_n": ("{n}项", "{n} items"),
    "as_of_hint": ("当日掌握的数据按当日规则重新判断，不改变现有督办", "The facts known that day, judged by the rules as of that day; nothing is changed"),
}

# The states, levels and steps of problems, assignments and meetings (escalation's lifecycles name them in Chinese;
# tests/console/test_problem_pages.py holds the Chinese here to theirs).
PROBLEM_STATES = {"raised": ("待受理", "To accept"), "accepted": ("已受理", "Accepted"), "solving": ("解决中", "Being solved"),
                  "solved": ("已解决", "Solved"), "closed": ("已销号", "Closed")}
PROBLEM_LEVELS = {1: ("责任部门解决", "Department"), 2: ("分包领导协调", "Leader in charge"), 3: ("联席会议研究", "Joint meeting"),
                  4: ("调度会议定", "Scheduling meeting")}
ASSIGNMENT_STATES = {"opened": ("待签收", "To acknowledge"), "acknowledged": ("落实中", "Being done"), "reported": ("已报告", "Reported"),
                     "verified": ("已核实", "Verified"), "closed": ("已销号", "Closed")}
ASSIGNMENT_LEVELS = {1: ("承办部门落实", "Handler"), 2: ("跟踪领导督促", "Follow-up leader"), 3: ("调度会通报", "Scheduling meeting")}
MEETING_KINDS = {"joint": ("项目推进联席会议", "Joint meeting"), "scheduling": ("调度会", "Scheduling meeting"), "topic": ("专题会", "Topic meeting")}
MEETING_STATES = {"scheduled": ("已安排", "Scheduled"), "held": ("已召开", "Held")}
SOURCES = {"ledger": ("月度台账", "Monthly ledger"), "console": ("系统录入", "Console"), "api": ("接口", "API"), "cli": ("命令行", "CLI"),
           "case": ("督办反馈", "Case reply")}
AGENDA_KINDS = {"problem": ("问题", "Problem"), "case": ("督办件", "Case"), "project": ("项目", "Project"),
                "assignment": ("交办事项", "Assignment")}
COORDINATION_ACTIONS = {
    "raised": ("提出", "raised"), "still_reported": ("台账再次报告", "reported again"), "accepted": ("受理", "accepted"),
    "solving": ("开始解决", "solving"), "solved": ("报解决", "solved"), "submitted": ("提交上一级", "submitted upward"),
    "handed_back": ("交回下一级", "handed back"), "on_agenda": ("列入会议议题", "put on an agenda"),
    "off_agenda": ("移出会议议题", "taken off the agenda"), "decided": ("会议作出决定", "decided"), "climbed": ("逾期升级", "climbed"),
    "closed": ("销号", "closed"), "reopened": ("重新打开", "reopened"), "scheduled": ("安排会议", "scheduled"),
    "agenda_edited": ("调整议题", "agenda edited"), "minuted": ("印发纪要", "minutes issued"), "opened": ("交办", "assigned"),
    "acknowledged": ("签收", "acknowledged"), "reported": ("报告落实情况", "reported"), "verified": ("核实通过", "verified"),
    "rejected": ("核实未通过", "not accepted"),
}

# Referrals (移送): their states (escalation's cases/referrals.py names them; a test holds the two together), the steps of
# their audit log, and the steps of the evidence pack's timeline (告知经过) besides a case's own (CASE_ACTIONS).
REFERRAL_STATES = {"referred": ("已移送", "Referred"), "acknowledged": ("已签收", "Signed for")}
REFERRAL_ACTIONS = {"referred": ("移送", "referred"), "acknowledged": ("签收", "signed for")}
TOLD_STEPS = {"referred": ("移送", "referred"), "informed": ("告知", "informed")}
ADDRESSEE_ROLES = {"action": ("办理", "to act"), "informed": ("知悉", "informed")}


def translator(lang: str):  # noqa: ANN201 - returns (key, **fields) -> str
    index = 1 if lang == "en" else 0

    def t(key: str, **fields: object) -> str:
        text = TEXTS.get(key) or STATES.get(key) or CASE_ACTIONS.get(key) or RULES.get(key)
        value = text[index] if text else key
        return value.format(**fields) if fields else value

    return t
