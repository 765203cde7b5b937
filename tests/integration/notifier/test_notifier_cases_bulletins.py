"""notifier on a real nats-server: a case climbing the ladder and a monthly bulletin reach their recipients, once."""
from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import nats

from services.notifier.app import build as build_notifier
from services.notifier.settings import Settings as NotifierSettings
from shared import subjects
from shared.contracts import BulletinPublished, CaseChanged, Recipient
from shared.messaging import ensure_streams, headers_for
from tests.support.services import eventually, running

COUNTY = "330106"
PUBLIC = "https://xm.xihu.example.gov.cn/escalation"
NOW = datetime(2026, 7, 1, 1, tzinfo=UTC)


def climbed(recipients: tuple[Recipient, ...], case: str = "c-1") -> CaseChanged:
    return CaseChanged(
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"case|{case}|{len(recipients)}"), occurred_at=NOW, county_code=COUNTY,
        correlation_id=f"{COUNTY}:{case}", case_id=uuid.uuid5(uuid.NAMESPACE_URL, case), escalation_id=uuid.uuid5(uuid.NAMESPACE_URL, f"e|{case}"),
        project_id=uuid.uuid5(uuid.NAMESPACE_URL, f"p|{case}"), project_code="2403-330106-04-01-123456", project_name="城西智能制造产业园",
        rule_id="R1.idle_land", action="climbed", state="opened", ladder_level=2, level_name="分管领导督办（交办函）",
        due_on=date(2026, 7, 8), recipients=recipients, summary="城西智能制造产业园：闲置土地督办升级至第2级",
    )


def bulletin() -> BulletinPublished:
    bulletin_id = uuid.uuid5(uuid.NAMESPACE_URL, "bulletin|330106|2026-06|1")
    return BulletinPublished(
        event_id=uuid.uuid5(uuid.NAMESPACE_URL, f"published|{bulletin_id}"), occurred_at=NOW, county_code=COUNTY,
        correlation_id="bulletin:330106:2026-06", bulletin_id=bulletin_id, month="2026-06", title="西湖区重点项目2026年6月通报",
        headline={"start_rate_percent": "62.5", "investment_completion_percent": "48.3", "open_cases": "4"},
        links={fmt: f"/internal/counties/330106/bulletins/2026-06.{fmt}?revision=1" for fmt in ("html", "xlsx", "docx")},
        recipients=(Recipient(kind="office", name="区重点项目办"), Recipient(kind="leader", name="陈立新", role="informed")),
        summary="西湖区重点项目2026年6月通报已印发",
    )


def outbox_lines(root: Path) -> list[dict[str, Any]]:
    files = (root / "var" / "notifier" / "outbox" / COUNTY).glob("*.jsonl")
    return [json.loads(line) for f in files for line in f.read_text(encoding="utf-8").splitlines()]


async def test_case_climb_and_bulletin_are_delivered_once(nats_server, database, tmp_path: Path) -> None:
    url, schema = database
    notifier = build_notifier(NotifierSettings(nats_url=nats_server.url, database_url=url if schema else f"sqlite+aiosqlite:///{tmp_path}/n.db",
                                               database_schema=schema, file_root=tmp_path, escalation_public_url=PUBLIC))
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await ensure_streams(js)
    case = climbed((Recipient(kind="leader", name="陈立新"), Recipient(kind="department", name="自然资源局", role="informed")))
    quiet = climbed((), case="c-2")  # a step nobody needs to hear of
    published = bulletin()
    try:
        async with running(notifier) as client:
            for event, subject in ((case, subjects.case(COUNTY, "climbed")), (quiet, subjects.case(COUNTY, "acknowledged")),
                                   (published, subjects.bulletin_published(COUNTY))):
                await js.publish(subject, event.model_dump_json().encode(), headers=headers_for(event))
            # The same events again under new message ids (JetStream would drop a repeated id): the consumer must drop them.
            for event, subject in ((case, subjects.case(COUNTY, "climbed")), (published, subjects.bulletin_published(COUNTY))):
                await js.publish(subject, event.model_dump_json().encode(), headers={**headers_for(event), "Nats-Msg-Id": f"again-{event.event_id}"})

            async def all_sent() -> list[dict[str, Any]] | None:
                rows = (await client.get(f"/internal/counties/{COUNTY}/deliveries")).json()["deliveries"]
                about = {row["escalation_id"] for row in rows}
                done = rows and all(row["status"] == "sent" for row in rows)
                return rows if done and about == {str(case.escalation_id), str(published.bulletin_id)} else None

            rows = await eventually(all_sent)
            lines = await eventually(lambda: _lines(tmp_path, len(rows)))
    finally:
        await nc.close()
    assert len(rows) == len({row["delivery_key"] for row in rows})
    assert str(quiet.escalation_id) not in {row["escalation_id"] for row in rows}
    case_texts = [line["text"] for line in lines if "督办升级" in line["title"]]
    assert case_texts and all("第2级" in t and "2026-07-08" in t and "城西智能制造产业园" in t for t in case_texts)
    assert any("请于2026-07-08前" in t for t in case_texts)  # the leader is asked to act by the due date
    bulletin_lines = [line for line in lines if line["title"].startswith("【通报】")]
    assert bulletin_lines and all(line["title"] == "【通报】西湖区重点项目2026年6月通报" for line in bulletin_lines)
    assert all("开工率**：62.5%" in line["text"] and f"{PUBLIC}/internal/counties/330106/bulletins/2026-06.xlsx?revision=1" in line["text"]
               for line in bulletin_lines)
    assert len(lines) == len(rows)  # nothing sent twice


async def _lines(root: Path, expected: int) -> list[dict[str, Any]] | None:
    lines = outbox_lines(root)
    return lines if len(lines) >= expected else None
