"""Messages for the problem list and meetings: the new level's people are asked what to do and by when; others are told."""
from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime

from services.notifier.rendering import NOTIFIED_EVENTS, about_id, render, render_digest
from shared.contracts import CoordinationChanged, Recipient

LEADER = Recipient(kind="leader", name="陈立新")
DEPARTMENT = Recipient(kind="department", name="自然资源局", role="informed")


def submitted(**changes: object) -> CoordinationChanged:
    values = dict(event_id=uuid.uuid4(), occurred_at=datetime(2026, 4, 1, tzinfo=UTC), county_code="330106", correlation_id="c",
                  item_kind="problem", item_id=uuid.uuid4(), project_name="云栖小镇产业园", action="submitted", state="raised", level=2,
                  level_name="分包领导协调", target_kind="leader", target_name="陈立新", due_on=date(2026, 4, 16),
                  note="需区领导协调征收补偿标准", recipients=(LEADER, DEPARTMENT),
                  summary="问题【用地】云栖小镇产业园：南区地块尚未交付——提交上一级协调，分包领导协调：陈立新，期限2026-04-16")
    return CoordinationChanged(**{**values, **changes})  # type: ignore[arg-type]


def test_the_new_level_is_asked_to_act_by_the_deadline() -> None:
    message = render(submitted(), LEADER, "http://x")
    assert message.title == "【问题】云栖小镇产业园：分包领导协调"
    assert "请于2026-04-16前受理并协调解决，或交回下一级办理、列入会议议题。" in message.text_plain
    assert "需区领导协调征收补偿标准" in message.text_plain and "第2级 分包领导协调" in message.text_plain
    told = render(submitted(), DEPARTMENT, "http://x").text_plain
    assert "请知悉。" in told and "请于" not in told.split("自然资源局：")[-1]


def test_an_assignment_names_its_number_and_the_event_survives_the_delivery_log() -> None:
    event = submitted(item_kind="assignment", action="opened", state="opened", level=1, level_name="承办部门落实", number="交办〔2026〕1号",
                      target_kind="department", target_name="自然资源局", due_on=date(2026, 4, 30))
    message = render(event, Recipient(kind="department", name="自然资源局"), "http://x")
    assert "交办〔2026〕1号" in message.title and "请于2026-04-30前签收并按期落实，报告落实情况。" in message.text_plain
    # What the delivery log stores is read back as the same event, and is filed under the assignment.
    assert NOTIFIED_EVENTS.validate_python(event.model_dump(mode="json")) == event
    assert about_id(event) == str(event.item_id)
    digest = render_digest([event, submitted()], "自然资源局").text_plain
    assert "交办事项｜云栖小镇产业园" in digest and "问题｜云栖小镇产业园" in digest
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", message.text_plain + digest)
