"""Machine names and raw figures into what a person reads: labels from shared/labels.py, money in 万元/亿元, Beijing time.

Pure functions, used alike by the console, notifier, bulletin, the rules' summaries and the CLI.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from shared.labels import CASE_ACTIONS, EVIDENCE, POLICY, PROJECT_FIELDS, ROLES, RULES, STATES, SUBJECTS, VALUES, Label

BEIJING = ZoneInfo("Asia/Shanghai")
WAN_FEN = 1_000_000  # 1 万元 in fen
YI_FEN = 10_000_000_000  # 1 亿元 in fen
_KEYED = {"land_parcels", "milestones", "central_funds", "sme_payments", "ledger", "expropriation", "reported_problems",
          "annual_plans"}
# What a raw identifier looks like in visible text: snake_case words, or a rule id such as R4.ledger_missing.
RAW_IDENTIFIER = re.compile(r"(?<![A-Za-z0-9])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![A-Za-z0-9])|R\d\.")


def _pick(label: Label | None, lang: str, fallback: str) -> str:
    return fallback if label is None else label[1 if lang == "en" else 0]


def rule_name(rule_id: str, lang: str = "zh") -> str:
    """A rule's name; an unknown id still reads as words, never as an id."""
    return _pick(RULES.get(rule_id), lang, "其他规则" if lang != "en" else "another rule")


def state_name(value: str, lang: str = "zh") -> str:
    return _pick(STATES.get(value), lang, value)


def action_name(value: str, lang: str = "zh") -> str:
    return _pick(CASE_ACTIONS.get(value.replace("/", "_")), lang, value)


def role_name(value: str, lang: str = "zh") -> str:
    return _pick(ROLES.get(value), lang, value)


def evidence_label(key: str, lang: str = "zh") -> str:
    if key.startswith("threshold."):
        name = key.removeprefix("threshold.")
        return ("阈值·" if lang != "en" else "threshold: ") + _pick(POLICY.get(name), lang, _words(name))
    return _pick(EVIDENCE.get(key), lang, _words(key))


def _words(key: str) -> str:
    """A key with no label yet: its words without underscores (the no-raw-identifier test catches the gap)."""
    return key.replace("_", " ")


def field_path(path: str, lang: str = "zh") -> str:
    """A change-log path: `land_parcels.XH-1.developed_area_m2` → 地块XH-1·已开发面积."""
    head, _, rest = path.partition(".")
    if head in _KEYED and rest:
        item, _, field = rest.rpartition(".")
        collection = _pick(PROJECT_FIELDS.get(head), lang, _words(head))
        return f"{collection}{item}·{_pick(PROJECT_FIELDS.get(field), lang, _words(field))}" if item else collection
    return _pick(PROJECT_FIELDS.get(path), lang, _words(path))


def changed_fields(paths: list[str] | tuple[str, ...], lang: str = "zh") -> list[str]:
    """A change's paths in words, one entry per item: a ledger month or a parcel whose several fields changed reads
    once (月度台账2026-03), a single field in full (地块XH-1·已开发面积)."""
    items: dict[str, list[str]] = {}
    for path in paths:
        head, _, rest = path.partition(".")
        key = f"{head}.{rest.rpartition('.')[0]}" if head in _KEYED and "." in rest else path
        items.setdefault(key, []).append(path)
    out = []
    for key, group in items.items():
        head, _, item = key.partition(".")
        out.append(field_path(group[0], lang) if len(group) == 1 or head not in _KEYED
                   else f"{_pick(PROJECT_FIELDS.get(head), lang, _words(head))}{item}")
    return out


def subject_text(subject: str, lang: str = "zh") -> str:
    """What an escalation is about: `parcel:XH-1` → 地块XH-1, `investment:ytd` → 投资进度·年度累计."""
    kind, _, item = subject.partition(":")
    name = _pick(SUBJECTS.get(kind), lang, _words(kind))
    if not item:
        return name
    return f"{name}·{_pick(VALUES[item], lang, item)}" if item in VALUES else f"{name}{item}"


def _decimal(value: Decimal, places: int = 2, exact: bool = False) -> str:
    """Two places with separators; `exact` adds places until nothing is rounded away (an amount against a threshold)."""
    while exact and value != value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):
        places += 1
    return f"{value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP):,.{places}f}"


def money(fen: int | str | None, lang: str = "zh", exact: bool = False) -> str:
    """Fen as a person reads money: 亿元 from 1亿, 万元 from 1万, 元 below (so a small sum never shows as 0.00万元).
    `exact` keeps every fen (199.999999万元 is under a 200万元 line, and must not read as on it)."""
    if fen is None or fen == "":
        return "—"
    try:
        amount = Decimal(str(fen))
    except InvalidOperation:
        return str(fen)
    if abs(amount) >= YI_FEN:
        return _decimal(amount / YI_FEN, exact=exact) + ("亿元" if lang != "en" else " hundred million yuan")
    if abs(amount) >= WAN_FEN:
        return _decimal(amount / WAN_FEN, exact=exact) + ("万元" if lang != "en" else "0k yuan")
    return _decimal(amount / 100, exact=exact) + ("元" if lang != "en" else " yuan")


def wan(fen: int | None) -> str:
    """A table cell in a column headed (万元): the number alone, with separators ("—" for an unknown figure)."""
    return _decimal(Decimal(fen) / WAN_FEN) if isinstance(fen, int | Decimal) else "—"


def beijing(moment: datetime | str | None, seconds: bool = False) -> str:
    """A moment as Beijing wall time (the caller labels it 北京时间)."""
    if moment is None or moment == "":
        return "—"
    when = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    if when.tzinfo is None:  # stored naive by SQLite: it was UTC
        when = when.replace(tzinfo=ZoneInfo("UTC"))
    return when.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def evidence_value(key: str, value: object, lang: str = "zh") -> str:
    """An evidence value as words and formatted figures: money, areas, shares, days and enumerated causes."""
    text = str(value)
    name = key.removeprefix("threshold.")
    if name.endswith("_fen"):  # evidence is the proof against a line: every fen shown, nothing rounded across it
        return money(text, lang, exact=True)
    if "," in text and all(part in VALUES or part in STATES for part in text.split(",")):
        return "、".join(evidence_value(key, part, lang) for part in text.split(","))
    if text in VALUES:
        return _pick(VALUES[text], lang, text)
    if key in ("stage", "colour", "threshold.reporting_stages", "delay_cause") and text in STATES:
        return state_name(text, lang)
    if name.endswith("_m2"):
        return f"{_number(text)}㎡"
    if name.endswith(("_percent", "_points")) and _is_number(text):
        return f"{text}%" if name.endswith("_percent") else f"{text}个百分点"
    if (name.endswith("_days") or name.startswith("days_")) and _is_number(text):
        return f"{_number(text)}天"
    return text


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True


def _number(text: str) -> str:
    if not _is_number(text):
        return text
    value = Decimal(text)
    return f"{value:,}" if value == value.to_integral_value() else f"{value:,f}"


def evidence_lines(evidence: Mapping[str, object], lang: str = "zh") -> list[tuple[str, str]]:
    """(label, value) pairs of an escalation's evidence, in its order, for any page or message."""
    return [(evidence_label(k, lang), evidence_value(k, v, lang)) for k, v in evidence.items()]


def _width(text: str) -> int:
    """Columns a terminal gives the text: a Chinese character takes two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def table(headers: tuple[str, ...], rows: list[tuple[object, ...]]) -> str:
    """A plain-text table for the CLI, aligned for Chinese: the first column left, the figures right."""
    cells = [[str(h) for h in headers], *([str(c) for c in row] for row in rows)]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        return "  ".join(c + " " * (widths[i] - _width(c)) if i == 0 else " " * (widths[i] - _width(c)) + c for i, c in enumerate(row))
    return "\n".join(line(row) for row in cells)
