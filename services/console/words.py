"""What the console's templates call to put a machine name or a raw figure into words, in the page's language."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from services.console import catalog
from shared import wording
from shared.labels import CASE_ACTIONS, HEADLINE, PROJECT_FIELDS

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

    def referral_state(self, value: str | None) -> str:
        return self._pick(catalog.REFERRAL_STATES, value)

    def referral_step(self, value: str | None) -> str:
        """A step of a referral's audit log (移送, 签收)."""
        return self._pick(catalog.REFERRAL_ACTIONS, value)

    def told_step(self, value: str | None) -> str:
        """A line of the evidence pack's timeline: referred or informed by the finding, or a step of the project's case."""
        return self._pick(catalog.TOLD_STEPS, value) if value in catalog.TOLD_STEPS else self._pick(CASE_ACTIONS, value)

    def addressee_role(self, value: str | None) -> str:
        return self._pick(catalog.ADDRESSEE_ROLES, value)

    def figures(self, figures: Mapping[str, object] | None) -> list[tuple[str, str]]:
        """An evidence pack's figures: money to the fen (an amount against a threshold must not round onto it), the
        percentages as the rule wrote them, every key by its label."""
        return [(wording.evidence_label(k, self.lang),
                 wording.money(str(v), self.lang, exact=True) if k.endswith("_fen") and v not in (None, "") else
                 wording.evidence_value(k, v, self.lang) if v not in (None, "") else "—")
                for k, v in (figures or {}).items()]

    def facts(self, snapshot: Mapping[str, object] | None) -> list[tuple[str, str]]:
        """A project's facts as known on a day: the labelled single values, and how many items each list holds."""
        lines = []
        for key, value in (snapshot or {}).items():
            if key not in PROJECT_FIELDS or value in (None, "", [], ()) or key in ("project_code", "local_ids"):
                continue
            label = wording.field_path(key, self.lang)
            if isinstance(value, list | tuple):
                lines.append((label, catalog.translator(self.lang)("items_n", n=len(value))))
            elif isinstance(value, dict):
                continue  # an approval or an overrun decision: the rules' dates and evidence carry what matters
            elif isinstance(value, bool):
                lines.append((label, wording.evidence_value(key, str(value), self.lang)))
            elif key.endswith("_fen"):
                lines.append((label, wording.money(value, self.lang)))  # type: ignore[arg-type]
            elif key in ("stage", "nature"):
                lines.append((label, wording.state_name(str(value), self.lang)))
            else:
                lines.append((label, wording.evidence_value(key, value, self.lang)))
        return lines
