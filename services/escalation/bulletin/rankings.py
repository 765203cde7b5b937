"""红黑榜: responsible units and townships ranked by the share of green projects, less overdue cases.

Scoring (documented for the office, every number exact): a project is green when it has no open
escalation and is not on the 欠进度 list. A unit's score is its green share in percentage points
(green ÷ projects × 100) minus `overdue_case_penalty` points per open case of its projects past
its due date. Ranked by score, then fewer overdue cases, then more projects, then name. The 红榜
is the top `ranking_size`, the 黑榜 the bottom `ranking_size`, each at most half of the units so
that no unit is on both lists.
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date
from fractions import Fraction
from typing import Any

from services.escalation.bulletin.exact import points_text
from services.escalation.bulletin.model import Ranking, RankingRow
from services.escalation.bulletin.settings import BulletinSettings
from services.escalation.domain.facts import ProjectFacts

UNREGISTERED = "（未登记）"
KINDS: dict[str, Callable[[ProjectFacts], str | None]] = {
    "责任单位": lambda p: p.responsible_unit,
    "乡镇（街道）": lambda p: p.township,
}


def overdue_by_project(cases: Sequence[Mapping[str, Any]], as_of: date) -> dict[str, int]:
    counts: dict[str, int] = {}
    for case in cases:
        due = case.get("due_on")
        if case["state"] != "closed" and due is not None and (due if isinstance(due, date) else date.fromisoformat(str(due))) < as_of:
            counts[case["project_id"]] = counts.get(case["project_id"], 0) + 1
    return counts


def ranking(kind: str, projects: Sequence[ProjectFacts], not_green: Collection[str], overdue: Mapping[str, int],
            settings: BulletinSettings) -> Ranking:
    groups: dict[str, list[ProjectFacts]] = {}
    for project in projects:
        groups.setdefault(KINDS[kind](project) or UNREGISTERED, []).append(project)
    scored = []
    for name, members in groups.items():
        green = sum(p.project_id not in not_green for p in members)
        late = sum(overdue.get(p.project_id, 0) for p in members)
        share = Fraction(green * 100, len(members))
        scored.append((share - settings.overdue_case_penalty * late, late, len(members), name, green, share))
    scored.sort(key=lambda s: (-s[0], s[1], -s[2], s[3]))
    rows = tuple(RankingRow(i, name, n, green, points_text(share), late, points_text(score))
                 for i, (score, late, n, name, green, share) in enumerate(scored, 1))
    size = min(settings.ranking_size, len(rows) // 2)
    return Ranking(kind, rows, tuple(r.name for r in rows[:size]), tuple(r.name for r in rows[len(rows) - size:]) if size else ())
