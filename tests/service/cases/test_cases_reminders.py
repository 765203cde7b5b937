"""An L0 reminder opens no case; when the milestone is overdue the case opens, at the department that blocks it."""
from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from services.escalation.service import apply_changes, sweep
from services.escalation.tables import cases, escalations
from tests.service.escalation.test_escalation_rulebook_service import POLICY_FOR, changed, sessions, snapshot  # noqa: F401 - fixture

PERMIT = {"ledger": None, "central_funds": None, "sme_payments": None, "annual_plan_fen": None, "stats_enrolled_on": "2026-04-05",
          "milestones": [{"name": "开工", "planned": "2026-03-01", "actual": "2026-03-31"},
                         {"name": "施工许可", "planned": "2026-09-30", "blocking_department": "区住建局"}]}


async def case_rows(sessions) -> list[dict]:  # noqa: F811
    async with sessions() as session:
        rows = (await session.execute(select(cases, escalations.c.rule_id.label("escalation_rule"), escalations.c.evidence)
                                      .join(escalations, escalations.c.escalation_id == cases.c.escalation_id))).mappings()
        return [dict(r) for r in rows if r["escalation_rule"] == "R4.milestone"]


async def test_a_reminder_opens_no_case_and_the_overdue_milestone_opens_one_at_the_blocking_department(sessions) -> None:  # noqa: F811
    reminder_day = date(2026, 9, 25)  # five days before the permit is due
    await apply_changes(sessions, [changed(1, snapshot(**PERMIT, last_source_record_time="2026-09-24T01:00:00Z"), ["milestones"])],
                        POLICY_FOR, reminder_day, datetime(2026, 9, 25, 1, tzinfo=UTC))
    async with sessions() as session:
        colours = (await session.execute(select(escalations.c.evidence).where(escalations.c.rule_id == "R4.milestone"))).scalars().all()
    assert [e["colour"] for e in colours] == ["green"]
    assert await case_rows(sessions) == []

    await sweep(sessions, POLICY_FOR, date(2026, 10, 1), datetime(2026, 10, 1, 1, tzinfo=UTC))
    (case,) = await case_rows(sessions)
    assert case["evidence"]["colour"] == "yellow"
    assert (case["ladder_level"], case["target_kind"], case["target_name"]) == (1, "department", "区住建局")
