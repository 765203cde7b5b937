"""Chinese messages for a case's step (督办单) and for a published monthly bulletin (每月通报)."""
from __future__ import annotations

from services.notifier.messages import UNNAMED, Message, rule_name
from shared import wording
from shared.contracts import BulletinPublished, CaseChanged, Recipient
from shared.contracts.case import CaseAction
from shared.labels import HEADLINE

ACTION_TAGS: dict[str, str] = {
    "opened": "督办", "acknowledged": "已签收", "replied": "已反馈", "reviewed": "已复核", "closed": "已办结", "reopened": "重新督办",
    "climbed": "督办升级", "exception_claimed": "申请例外", "exception_confirmed": "例外确认", "exception_rejected": "例外驳回", "retargeted": "转办",
    "withdrawn": "撤销",
}
# What the step now expected asks of the one who must act, by ladder level (DOMAIN.md R4).
ASKED: dict[int, str] = {
    1: "书面说明情况并提出整改措施",
    2: "按交办函要求落实并书面反馈（分管领导督办）",
    3: "提交专题会（现场会）研究解决",
    4: "列入全区调度会议程",
    5: "提出问责建议并移交证据材料",
}
FORMAT_NAMES = {"html": "网页版", "docx": "Word版", "xlsx": "Excel版"}


def _project(event: CaseChanged) -> str:
    name = event.project_name or UNNAMED
    return f"{name}（{event.project_code}）" if event.project_code else name


def case_title(event: CaseChanged) -> str:
    return f"【{ACTION_TAGS.get(event.action.value, event.action.value)}】{event.project_name or event.project_code or '重点项目'}：第{event.ladder_level}级 {event.level_name}"


def render_case(event: CaseChanged, recipient: Recipient) -> Message:
    due = "—" if event.due_on is None else event.due_on.isoformat() + ("（节假日安排未公布，暂按周末计算）" if event.due_provisional else "")
    fields = [("项目", _project(event)), ("规则", rule_name(event.rule_id)),
              ("督办层级", f"第{event.ladder_level}级 {event.level_name}"), ("办理期限", due), ("当前状态", wording.state_name(event.state.value))]
    if event.clocks_paused:
        fields.append(("计时", "已暂停（例外情形待定）"))
    if event.action is CaseAction.closed:
        duty = "该督办件已办结，请知悉。"
    elif event.action is CaseAction.withdrawn:
        duty = "该督办件已撤销，无需签收办理，请知悉。"
    elif recipient.role == "action" and event.state.value == "opened" and event.ladder_level <= 2:
        # The date of a case just opened (or moved) is the one to sign by; the reply's own date follows the signing.
        duty = f"请于{due if event.due_on else '规定期限'}前签收，签收后按期{ASKED.get(event.ladder_level, '落实并反馈')}。"
    elif recipient.role == "action":
        duty = f"请于{due if event.due_on else '规定期限'}前{ASKED.get(event.ladder_level, '落实并反馈')}。"
    else:
        duty = "请知悉，并督促承办单位按期办理。"
    note = [("说明", event.note)] if event.note else []
    md = [f"**{event.summary}**", "", *(f"- **{k}**：{v}" for k, v in [*fields, *note]), "", f"**{recipient.name}**：{duty}"]
    plain = [event.summary, "", *(f"{k}：{v}" for k, v in [*fields, *note]), "", f"{recipient.name}：{duty}"]
    return Message(title=case_title(event), text_markdown="\n".join(md), text_plain="\n".join(plain))


def bulletin_links(event: BulletinPublished, base_url: str) -> list[tuple[str, str]]:
    base = base_url.rstrip("/")
    return [(FORMAT_NAMES.get(fmt, fmt), f"{base}{path}") for fmt, path in sorted(event.links.items(), key=lambda item: list(FORMAT_NAMES).index(item[0]) if item[0] in FORMAT_NAMES else 9)]


def render_bulletin(event: BulletinPublished, recipient: Recipient, base_url: str) -> Message:
    figures = [(label, f"{event.headline[key]}{unit}") for key, (label, _, unit) in HEADLINE.items() if key in event.headline]
    links = bulletin_links(event, base_url)
    duty = "请审核后按程序印发。" if recipient.role == "action" else "请查阅，并对通报中涉及本单位的事项抓紧落实。"
    md = [f"**{event.title}**", "", *(f"- **{k}**：{v}" for k, v in figures), "", "**全文**：" + "｜".join(f"[{n}]({u})" for n, u in links),
          "", f"**{recipient.name}**：{duty}"]
    plain = [event.title, "", *(f"{k}：{v}" for k, v in figures), "", "全文：", *(f"  {n}：{u}" for n, u in links), "", f"{recipient.name}：{duty}"]
    return Message(title=f"【通报】{event.title}", text_markdown="\n".join(md), text_plain="\n".join(plain))
