"""Chinese messages for a step of a problem (问题), a meeting, an assignment (交办事项) or a referral (移送)."""
from __future__ import annotations

from services.notifier.messages import Message
from shared.contracts import CoordinationChanged, Recipient

KIND_NAMES = {"problem": "问题", "meeting": "会议", "assignment": "交办事项", "referral": "移送"}
# What the one who must act is asked to do, by kind and step.
ASKED = {
    ("problem", "raised"): "受理并研究解决；本级解决不了的，说明理由后提交上一级",
    ("problem", "submitted"): "受理并协调解决，或交回下一级办理、列入会议议题",
    ("problem", "climbed"): "逾期未解决，请受理并协调解决",
    ("problem", "handed_back"): "按批示要求继续办理",
    ("problem", "reopened"): "问题仍未解决，请继续办理",
    ("problem", "solved"): "核实后销号",
    ("problem", "decided"): "按会议交办要求落实",
    ("assignment", "opened"): "签收并按期落实，报告落实情况",
    ("assignment", "climbed"): "逾期未落实，请督促承办单位落实并报告",
    ("assignment", "reported"): "核实落实情况",
    ("meeting", "scheduled"): "按时参会，准备议题材料",
    ("meeting", "minuted"): "按会议纪要落实交办事项",
    ("referral", "referred"): "签收移送材料，依规依纪依法处理",
    ("referral", "acknowledged"): "知悉受移送单位已签收",
}


def _title(event: CoordinationChanged) -> str:
    project = event.project_name or event.project_code
    return f"【{KIND_NAMES[event.item_kind]}】" + (f"{project}：" if project else "") + (event.number or event.level_name)


def render_coordination(event: CoordinationChanged, recipient: Recipient) -> Message:
    fields = [("事项", KIND_NAMES[event.item_kind] + (f" {event.number}" if event.number else ""))]
    if event.project_name or event.project_code:
        fields.append(("项目", event.project_name or event.project_code or ""))
    fields += [("层级", f"第{event.level}级 {event.level_name}"), ("办理期限", event.due_on.isoformat() if event.due_on else "—")]
    if event.target_name:
        fields.append(("当前责任方", event.target_name))
    asked = ASKED.get((event.item_kind, event.action))
    if recipient.role == "action" and asked:
        duty = f"请{'于' + event.due_on.isoformat() + '前' if event.due_on else ''}{asked}。"
    else:
        duty = "请知悉。"
    note = [("说明", event.note)] if event.note else []
    md = [f"**{event.summary}**", "", *(f"- **{k}**：{v}" for k, v in [*fields, *note]), "", f"**{recipient.name}**：{duty}"]
    plain = [event.summary, "", *(f"{k}：{v}" for k, v in [*fields, *note]), "", f"{recipient.name}：{duty}"]
    return Message(title=_title(event), text_markdown="\n".join(md), text_plain="\n".join(plain))
