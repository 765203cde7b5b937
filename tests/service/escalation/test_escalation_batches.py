"""A batch of tracker events mixes new projects and changes to known ones: every one of them is evaluated."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy import select

from services.escalation.service import apply_changes
from services.escalation.tables import escalations
from tests.service.escalation.test_escalation_rulebook_service import POLICY_FOR, changed, sessions, snapshot  # noqa: F401 - fixture

IDLE_LAND = {"stage": "signed", "ledger": None, "milestones": None, "central_funds": None, "sme_payments": None, "annual_plan_fen": None,
             "land_parcels": [{"parcel_id": "P-1", "agreed_start_date": "2025-03-01"}]}


async def test_a_new_project_is_evaluated_when_its_batch_also_updates_another(sessions) -> None:  # noqa: F811
    known, new = uuid.UUID(int=1), uuid.UUID(int=2)
    as_of, now = date(2026, 3, 2), datetime(2026, 3, 2, 1, tzinfo=UTC)
    await apply_changes(sessions, [changed(1, snapshot(project_id=known, name="已知项目"), ["name"])], POLICY_FOR, as_of, now)

    # One batch: the known project changes (an update of its row) and a new one arrives with idle land (an insert).
    await apply_changes(sessions, [changed(2, snapshot(project_id=known, name="已知项目·改"), ["name"]),
                                   changed(1, snapshot(project_id=new, name="新项目", **IDLE_LAND), ["land_parcels"])],
                        POLICY_FOR, as_of, now)
    async with sessions() as session:
        idle = (await session.execute(select(escalations.c.project_id).where(escalations.c.rule_id == "R1.idle_land"))).scalars().all()
    assert idle == [str(new)]
