"""Chinese messages for escalation events: one per event, or a digest folding several."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared import wording
from shared.contracts.escalation import EscalationEscalated, EscalationRaised, EscalationResolved, Recipient

EscalationEvent = EscalationRaised | EscalationEscalated | EscalationResolved


@dataclass(frozen=True)
class Message:
    title: str
    text_markdown: str  # the body only; channels without a title field put the title on top
    text_plain: str


UNNAMED = "（未登记名称的项目）"
_KIND_TAGS = {"raised": "预警", "escalated": "升级", "resolved": "已解除"}
_PERIOD_ENDED_TAG = "考核期结束"  # closed because its period is over, the condition standing: not 已解除
_DEFAULT_TERM = "5个工作日内"  # R4 L1: explanation and remedy within 5 working days


def rule_name(rule_id: str) -> str:
    return wording.rule_name(rule_id)


def _project(event: EscalationEvent) -> str:
    name = event.project_name or UNNAMED
    return f"{name}（{event.project_code}）" if event.project_code else name


def event_title(event: EscalationEvent) -> str:
    return f"【{event_tag(event)}】{event.project_name or event.project_code or '重点项目'}：{event.level_name}"


def event_tag(event: EscalationEvent) -> str:
    if isinstance(event, EscalationResolved) and event.resolution == "period_ended":
        return _PERIOD_ENDED_TAG
    return _KIND_TAGS[event.kind]


def _level_line(event: EscalationEvent) -> str:
    if isinstance(event, EscalationEscalated):
        return f"第{event.previous_level}级 → 第{event.level}级 {event.level_name}"
    return f"第{event.level}级 {event.level_name}"


def _opens_case(event: EscalationEvent) -> bool:
    """A yellow, grey or red finding has a case (督办单) opened with it, which gives the one date to act by."""
    return event.evidence.get("colour") in ("yellow", "grey", "red")


def _duty(event: EscalationEvent, role: str) -> str:
    if isinstance(event, EscalationResolved) and event.resolution == "period_ended":
        return ("考核期已结束，问题未消除，请知悉并配合重点项目办复核，按其意见销号或另行交办。" if role == "action"
                else "考核期已结束，问题未消除，请知悉。")
    if isinstance(event, EscalationResolved):
        return "该事项已消除，请知悉并于归档时附本通知备查。" if role == "action" else "该事项已消除，请知悉。"
    if "deadline" not in event.evidence and _opens_case(event):
        # One deadline per step: the case's message names the date; a second, relative one here would contradict it.
        if role == "action":
            return "请核实情况、提出处置意见，并按督办单期限签收、书面反馈重点项目办。"
        return "请知悉，并督促责任单位按督办单期限落实、反馈。"
    term = f"{event.evidence['deadline']}前" if "deadline" in event.evidence else _DEFAULT_TERM
    if role == "action":
        return f"请于{term}核实情况、提出处置意见，并书面反馈重点项目办。"
    return f"请知悉，并督促责任单位于{term}落实、反馈。"


def _fields(event: EscalationEvent) -> list[tuple[str, str]]:
    return [
        ("项目名称", event.project_name or "（未登记）"),
        ("项目代码", event.project_code or "（无）"),
        ("规则", f"{rule_name(event.rule_id)}（第{event.rule_version}版）"),
        ("级别", _level_line(event)),
        ("评估日期", event.as_of.isoformat()),
        ("对象", wording.subject_text(event.subject)),
    ]


def render_event(event: EscalationEvent, recipient: Recipient) -> Message:
    """The message for one recipient; `recipient.role` decides what it is asked to do."""
    fields = _fields(event)
    evidence = wording.evidence_lines(event.evidence)
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
    lines = [f"{event_tag(e)}｜{_project(e)}｜{_level_line(e)}｜{e.summary}" for e in events]
    title = f"【汇总】重点项目预警{len(events)}条"
    head = f"{recipient_name}：共有{len(events)}条重点项目预警变化，请逐条核实。"
    md = "\n".join([head, "", *(f"{i}. {line}" for i, line in enumerate(lines, 1))])
    plain = "\n".join([head, *(f"{i}. {line}" for i, line in enumerate(lines, 1))])
    return Message(title=title, text_markdown=md, text_plain=plain)
