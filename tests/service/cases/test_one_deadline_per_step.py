"""One deadline per step: an overdue milestone learnt late (its explanation date long past) raises an escalation that states
the facts, and a case that gives the one date to act by, never a date already past when it is raised."""
from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation.service import apply_changes
from services.escalation.tables import outbox
from services.notifier.messages import render_event
from services.notifier.messages_cases import render_case
from shared.contracts import CaseChanged, EscalationRaised, ProjectSnapshot, ProjectStateChanged, Recipient
from tests.service.cases.cases_support import POLICY_FOR, at, case_events, case_rows, open_store

COUNTY = "330106"
PROJECT = uuid.uuid5(uuid.NAMESPACE_URL, "one-deadline|milestone")
PLANNED = date(2026, 1, 30)  # a Friday: 5 working days from the overdue day end on 2026-02-06, a month before anyone hears
LEARNT = date(2026, 3, 2)  # the county's ledger brings the milestone in only now
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@pytest.fixture
async def sessions(database: tuple[str, str | None]) -> AsyncIterator[async_sessionmaker]:
    engine, factory = await open_store(*database)
    yield factory
    await engine.dispose()


def _change() -> ProjectStateChanged:
    snap = ProjectSnapshot.model_validate({
        "project_id": PROJECT, "project_code": "2403-330106-04-01-000909", "name": "转塘数字产业园", "stage": "signed",
        "leader": "陈立新", "lead_department": "发改局", "responsible_unit": "转塘建设公司",
        "milestones": [{"name": "施工许可", "planned": PLANNED.isoformat()}],
    })
    event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"state|{PROJECT}|1")
    return ProjectStateChanged(event_id=event_id, occurred_at=datetime(2026, 3, 2, tzinfo=UTC), county_code=COUNTY,
                               correlation_id=f"{COUNTY}:{PROJECT}", project_id=PROJECT, version=1, changed_fields=("milestones",),
                               snapshot=snap, caused_by=uuid.uuid5(uuid.NAMESPACE_URL, f"update|{event_id}"), source_system="区重点项目办月度台账")


async def _escalation(sessions: async_sessionmaker) -> EscalationRaised:
    async with sessions() as session:
        rows = (await session.execute(select(outbox.c.payload).where(outbox.c.subject.like("%.escalation.raised")))).scalars().all()
    [event] = [EscalationRaised.model_validate_json(bytes(p)) for p in rows]
    return event


async def test_an_overdue_milestone_learnt_late_gives_one_date_to_act_by_and_it_is_not_past(sessions: async_sessionmaker) -> None:
    await apply_changes(sessions, [_change()], POLICY_FOR, LEARNT, at(LEARNT))
    escalation = await _escalation(sessions)
    assert escalation.rule_id == "R4.milestone"
    explanation_due = date.fromisoformat(escalation.evidence["explanation_due"])
    assert explanation_due < LEARNT  # the rule's own explanation period ended before anyone knew

    # The escalation states the fact (when the milestone was due, how late it is) and asks for no date of its own.
    assert f"应于{PLANNED.isoformat()}完成（已逾期{(LEARNT - PLANNED).days}天）" in escalation.summary
    assert "请于" not in escalation.summary and "期限以督办单为准" in escalation.summary
    assert set(ISO_DATE.findall(escalation.summary)) == {PLANNED.isoformat()}

    # The case opened the same day gives the working deadline: to sign by, on or after today.
    [row] = await case_rows(sessions)
    due = row["due_on"]
    assert due >= LEARNT and due != explanation_due
    [opened] = [CaseChanged.model_validate({k: v for k, v in e.items() if k != "nats_subject"})
                for e in await case_events(sessions) if e["action"] == "opened"]
    assert opened.due_on == due and f"请于{due.isoformat()}前签收" in opened.summary

    # What the department reads: the escalation's message asks nothing by a date at all, the case's by exactly one.
    department = Recipient(kind="department", name="发改局", role="action")
    alert = render_event(escalation, department).text_plain
    assert "请于" not in alert and "按督办单期限" in alert
    assert escalation.evidence["explanation_due"] not in alert.split("依据事实")[0]  # a past date only among the facts
    letter = render_case(opened, department).text_plain
    asked = re.findall(r"请于(\d{4}-\d{2}-\d{2})", letter)
    assert set(asked) == {due.isoformat()} and "签收" in letter
    assert all(date.fromisoformat(d) >= LEARNT for d in asked)
