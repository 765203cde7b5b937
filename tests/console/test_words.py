"""Every console page, for every role and in both languages, shows words and formatted figures, never a raw identifier:
no snake_case token, no rule id (R4.…), no JSON error body. The read model holds the demo county judged by the real rules."""
from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from services.console.projection.alerts import apply_case_events, apply_escalation_events
from services.console.projection.bulletins import apply_bulletins
from services.console.projection.projects import apply_project_changes
from shared.contracts import BulletinPublished
from shared.labels import HEADLINE
from tests.support.realistic import Realistic, demo_events
from tests.support.visible import raw_identifiers, visible_text

AS_OF = date(2026, 12, 10)
NOW = datetime(2026, 12, 10, 1, 0, tzinfo=UTC)


async def seed(console: Any) -> Realistic:
    demo = demo_events("330106", AS_OF)
    await apply_project_changes(console.sessions, demo.changes, NOW)
    await apply_escalation_events(console.sessions, demo.escalations, NOW)
    await apply_case_events(console.sessions, demo.cases, NOW)
    by_escalation = {e.escalation_id: e for e in demo.escalations}
    for row, event in zip(demo.case_rows, demo.cases, strict=True):
        escalation = by_escalation[event.escalation_id]
        console.escalation.cases[row["case_id"]] = {
            **row, "escalation": {"summary": escalation.summary, "evidence": escalation.evidence},
            "actions": [{"acted_at": "2026-12-10T01:00:00+00:00", "actor_name": "系统", "actor_role": "system",
                         "action": "opened", "to_state": "opened", "note": ""}]}
    bid = "0b7e4f2a-3c5d-4e6f-8a9b-1c2d3e4f5a60"
    await apply_bulletins(console.sessions, [BulletinPublished(
        event_id=bid, occurred_at=NOW, county_code="330106", correlation_id="c", bulletin_id=bid, month="2026-11",
        title="西湖区重点项目2026年11月通报", headline={k: "12.5" for k in HEADLINE}, links={}, recipients=(), summary="通报")], NOW)
    return demo


def check(path: str, html: str) -> None:
    found = raw_identifiers(visible_text(html))
    assert not found, f"{path} shows raw identifiers: {sorted(set(found))}"


@pytest.mark.parametrize("login", ["office", "zrzy", "chen", "guest"])
async def test_no_page_shows_a_raw_identifier(console, login: str) -> None:
    demo = await seed(console)
    client = await console.signed_in(login)
    paths = ["/", "/projects", "/projects?colour=grey", "/cases", "/cases?all=1", "/cases?all=1&page=2", "/rankings", "/idle-land",
             "/bulletins", "/live", "/projects/no-such-project", "/cases/no-such-case/acknowledge",
             "/problems", "/meetings", "/assignments",  # with real problems and meetings: test_problem_pages.py
             "/referrals", "/referrals?state=referred"]  # with real referrals: test_referral_pages.py
    paths += [f"/projects/{p}" for p in sorted({str(c.project_id) for c in demo.changes})]
    paths += [f"/projects/{demo.changes[0].project_id}/alerts"]
    paths += [f"/cases/{row['case_id']}" for row in demo.case_rows[:12]]
    shown = 0
    for path in paths:
        for lang in ("zh", "en"):
            response = await client.get(f"{path}{'&' if '?' in path else '?'}lang={lang}")
            if response.status_code == 200:
                shown += 1
            check(f"{login} {path} ({lang}, {response.status_code})", response.text)
    assert shown > len(paths)  # most pages answered with content, not just errors
    refused = await client.post(f"/cases/{demo.case_rows[0]['case_id']}/review", data={"accepted": "true"}, headers={"HX-Request": "true"})
    check("a refused action", refused.text)


async def test_the_evidence_and_the_change_log_read_as_words(console) -> None:
    demo = await seed(console)
    office = await console.signed_in("office")
    idle = next(e for e in demo.escalations if e.rule_id == "R1.idle_land" and "idle_fee_fen" in e.evidence)
    page = (await office.get(f"/projects/{idle.project_id}")).text
    assert "闲置费(估算)" in page and "万元" in page and "阈值·闲置预警月数" in page
    assert "地块" in page and "北京时间" in page and "县里记录时间" in page
    fee_fen = int(idle.evidence["idle_fee_fen"])
    assert f"{fee_fen / 1_000_000:,.2f}万元" in page or f"{fee_fen / 10_000_000_000:,.2f}亿元" in page
