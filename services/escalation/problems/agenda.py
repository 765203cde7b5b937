"""Drafting a meeting's agenda (议题): pure, from what the county's lists hold on the meeting's day."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from services.escalation.problems.lifecycle import OPEN

KINDS = {"joint": "项目推进联席会议", "scheduling": "调度会", "topic": "专题会"}
LEVEL_OF = {"joint": 3, "scheduling": 4, "topic": 3}  # the problem level a meeting of each kind decides
CASE_LEVELS = {"joint": (3,), "scheduling": (3, 4), "topic": (3,)}


def months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def item(kind: str, item_id: str, title: str, reason: str, project_id: str | None) -> dict[str, Any]:
    return {"item_kind": kind, "item_id": item_id, "title": title, "reason": reason, "project_id": project_id}


def draft(kind: str, meeting_id: str, held_on: date, problems: Iterable[dict[str, Any]], cases: Iterable[dict[str, Any]],
          earlier_assignments: Iterable[dict[str, Any]], red_months: int, names: dict[str, str]) -> list[dict[str, Any]]:
    """Problems submitted to the meeting's level (or put on this meeting), cases at L3/L4, projects red `red_months`
    months running, and earlier meetings' assignments overdue on the day; in that order, each once."""
    level = LEVEL_OF[kind]
    items: list[dict[str, Any]] = []
    for p in sorted(problems, key=lambda p: (p["opened_on"], p["problem_id"])):
        if p["state"] in OPEN and p["assignment_id"] is None and (p["meeting_id"] == meeting_id or (p["level"] == level and p["meeting_id"] is None)):
            items.append(item("problem", p["problem_id"], f"【{p['category']}】{names.get(p['project_id'], '')}：{p['description'][:80]}",
                              "分包领导提交会议研究" if p["meeting_id"] == meeting_id else f"已提交至{KINDS[kind]}", p["project_id"]))
    open_cases = [c for c in cases if c["state"] != "closed"]
    for c in sorted(open_cases, key=lambda c: (-c["ladder_level"], c["opened_on"], c["case_id"])):
        if c["ladder_level"] in CASE_LEVELS[kind]:
            items.append(item("case", c["case_id"], f"{names.get(c['project_id'], '')}督办件（第{c['ladder_level']}级）",
                              f"督办件已升至第{c['ladder_level']}级", c["project_id"]))
    red_projects = {}
    for c in open_cases:
        if c.get("red_since") and months_between(c["red_since"], held_on) >= red_months:
            red_projects.setdefault(c["project_id"], c)
    for project_id in sorted(red_projects):
        items.append(item("project", project_id, f"{names.get(project_id, '')}连续{red_months}个月红灯", f"连续{red_months}个月以上红灯", project_id))
    for a in sorted(earlier_assignments, key=lambda a: (a["due_on"] or held_on, a["number"])):
        if a["state"] in ("opened", "acknowledged") and a["due_on"] is not None and a["due_on"] < held_on:
            items.append(item("assignment", a["assignment_id"], f"{a['number']}逾期未落实：{a['decision'][:60]}",
                              f"上次会议交办事项，期限{a['due_on'].isoformat()}已过", a["project_id"]))
    return items
