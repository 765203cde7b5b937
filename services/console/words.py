"""What the console's templates call to put a machine name or a raw figure into words, in the page's language."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from services.console import catalog
from shared import wording
from shared.labels import HEADLINE

# Escalation answers in English; a person reads what went wrong in their language, by the answer's status.
REFUSALS: dict[int, tuple[str, str]] = {
    400: ("请求有误，请返回重试", "The request was not understood"),
    401: ("请重新登录", "Please sign in again"),
    403: ("您无权办理此事项", "You may not do this"),
    404: ("未找到：不存在或不在您的范围内", "Not found, or not in your scope"),
    409: ("督办件当前状态不允许此操作（可能已有人办理），请刷新后再试", "The case's state does not allow this (someone may have acted); reload"),
    413: ("提交内容过大", "Too large"),
    422: ("填写内容不完整或格式不对", "Something is missing or malformed"),
    429: ("操作过于频繁，请稍后再试", "Too many attempts; try again later"),
}
UNAVAILABLE = ("督办服务暂时无法连接，请稍后再试", "The case service cannot be reached; try again later")


def reason_of(summary: str) -> str:
    """The one-line reason of an escalation: its summary without the project's name in front (名称：原因)."""
    head, colon, rest = summary.partition("：")
    return rest if colon and rest else summary


def refusal(status: int, lang: str = "zh") -> str:
    text = REFUSALS.get(status, UNAVAILABLE if status >= 500 else REFUSALS[400])
    return text[1 if lang == "en" else 0]


@dataclass(frozen=True)
class Words:
    lang: str

    def rule(self, rule_id: str | None) -> str:
        return wording.rule_name(rule_id or "", self.lang)

    def state(self, value: str | None) -> str:
        return wording.state_name(value, self.lang) if value else "—"

    def action(self, value: str | None) -> str:
        return wording.action_name(value, self.lang) if value else ""

    def role(self, value: str | None) -> str:
        return wording.role_name(value, self.lang) if value else ""

    def field(self, path: str) -> str:
        return wording.field_path(path, self.lang)

    def fields(self, paths: list[str]) -> str:
        return "、".join(wording.changed_fields(paths, self.lang))

    def subject(self, subject: str | None) -> str:
        return wording.subject_text(subject or "", self.lang)

    def evidence(self, evidence: Mapping[str, object] | None) -> list[tuple[str, str]]:
        return wording.evidence_lines(evidence or {}, self.lang)

    def money(self, fen: int | str | None) -> str:
        return wording.money(fen, self.lang)

    def time(self, moment: datetime | str | None) -> str:
        return wording.beijing(moment)

    def headline(self, headline: Mapping[str, str]) -> list[tuple[str, str]]:
        """A bulletin's key figures, labelled, in the catalogue's order."""
        index = 1 if self.lang == "en" else 0
        return [(HEADLINE[k][index], f"{headline[k]}{HEADLINE[k][2]}") for k in HEADLINE if k in headline]

    def refusal(self, status: int) -> str:
        return refusal(status, self.lang)

    def _pick(self, table: Mapping[object, tuple[str, str]], key: object) -> str:
        found = table.get(key)
        return found[1 if self.lang == "en" else 0] if found else "—"

    def problem_state(self, value: str | None) -> str:
        return self._pick(catalog.PROBLEM_STATES, value)

    def problem_level(self, level: int | None) -> str:
        return self._pick(catalog.PROBLEM_LEVELS, level)

    def assignment_state(self, value: str | None) -> str:
        return self._pick(catalog.ASSIGNMENT_STATES, value)

    def assignment_level(self, level: int | None) -> str:
        return self._pick(catalog.ASSIGNMENT_LEVELS, level)

    def meeting_kind(self, value: str | None) -> str:
        return self._pick(catalog.MEETING_KINDS, value)

    def meeting_state(self, value: str | None) -> str:
        return self._pick(catalog.MEETING_STATES, value)

    def source(self, value: str | None) -> str:
        return self._pick(catalog.SOURCES, value)

    def agenda_kind(self, value: str | None) -> str:
        return self._pick(catalog.AGENDA_KINDS, value)

    def step(self, value: str | None) -> str:
        """A step of a problem, meeting or assignment, as its history lists it."""
        return self._pick(catalog.COORDINATION_ACTIONS, value)
