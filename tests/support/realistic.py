"""Realistic events for wording tests: the demo ledgers merged as tracker merges them, judged by escalation's own rules.

Every evidence key, subject, level name and summary a page or message shows then comes from the real rules, so a
new rule or evidence field without a label fails the no-raw-identifier tests.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from services.escalation.domain.rules import evaluate_all
from services.escalation.policy_file import load_policy
from services.escalation.projection import facts_of
from services.tracker import domain
from shared.contracts import CaseChanged, EscalationRaised, ProjectSnapshot, ProjectStateChanged, ProjectUpdate, Recipient

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "services" / "demo" / "data"
AS_OF = date(2026, 11, 23)  # the demo README's day


@dataclass
class Realistic:
    changes: list[ProjectStateChanged]
    escalations: list[EscalationRaised]
    cases: list[CaseChanged]
    case_rows: list[dict[str, Any]]  # as escalation's case API shows them (for the fake)


def _key(update: ProjectUpdate) -> str:
    return update.project_code or str(update.local_id)


def demo_events(county: str = "330106", as_of: date = AS_OF) -> Realistic:
    items = json.loads((DEMO / f"{county}.json").read_text(encoding="utf-8"))
    states: dict[str, domain.State] = {}
    changes: list[ProjectStateChanged] = []
    versions: dict[str, int] = {}
    aliases: dict[str, str] = {}
    for n, item in enumerate(items):
        update = ProjectUpdate.model_validate(item)
        key = aliases.get(str(update.local_id), _key(update)) if update.local_id else _key(update)
        if update.local_id and update.project_code:
            aliases[update.local_id] = update.project_code
            if update.local_id in states:
                states[update.project_code] = states.pop(update.local_id)
                versions[update.project_code] = versions.pop(update.local_id)
            key = update.project_code
        merged, changed = domain.merge(states.get(key, {}), update, str(uuid.uuid5(uuid.NAMESPACE_URL, f"demo-{county}-{n}")))
        if not changed:
            continue
        states[key] = merged
        versions[key] = versions.get(key, 0) + 1
        project_id = uuid.uuid5(uuid.NAMESPACE_URL, f"demo-project-{county}-{key}")
        snapshot = ProjectSnapshot.model_validate({**domain.unflatten(merged), "project_id": project_id,
                                                   "project_code": key if "-" in key and len(key) == 24 else None,
                                                   "last_source_record_time": domain.latest_record_time(merged)})
        event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"demo-change-{county}-{n}")
        changes.append(ProjectStateChanged(
            event_id=event_id, occurred_at=update.source_record_time, county_code=county, correlation_id=str(event_id),
            project_id=project_id, version=versions[key], changed_fields=tuple(c.path for c in changed), snapshot=snapshot,
            caused_by=event_id, source_system=update.source_system, source_record_time=update.source_record_time))
    return _judged(county, changes, as_of)


def _judged(county: str, changes: list[ProjectStateChanged], as_of: date) -> Realistic:
    newest = {c.project_id: c for c in changes}
    policy = load_policy(county, ROOT / "config" / "policies")
    at = datetime.combine(as_of, time(1), UTC)
    raised, opened, rows = [], [], []
    for project_id, change in sorted(newest.items()):
        for f in evaluate_all(facts_of(change.snapshot, county), policy, as_of):
            escalation_id = uuid.uuid5(project_id, f"{f.rule_id}|{f.subject}|{f.occurrence}")
            recipients = tuple(Recipient(kind=a.kind, name=a.name, role=a.role) for a in f.audience)
            raised.append(EscalationRaised(
                event_id=uuid.uuid5(escalation_id, "raised"), occurred_at=at, county_code=county, correlation_id="demo",
                escalation_id=escalation_id, project_id=project_id, project_code=change.snapshot.project_code,
                project_name=change.snapshot.name, subject=f.subject, rule_id=f.rule_id, rule_version=f.rule_version,
                level=f.level, level_name=f.level_name, as_of=as_of, evidence=dict(f.evidence), recipients=recipients,
                summary=f.summary))
            if f.colour == "green":
                continue
            acting = next((r for r in recipients if r.role == "action"), Recipient(kind="office", name="区重点项目办"))
            level = 2 if f.colour == "red" else 1
            case_id = uuid.uuid5(escalation_id, "case")
            title = change.snapshot.name or change.snapshot.project_code
            opened.append(CaseChanged(
                event_id=uuid.uuid5(case_id, "opened"), occurred_at=at, county_code=county, correlation_id="demo", case_id=case_id,
                escalation_id=escalation_id, project_id=project_id, project_code=change.snapshot.project_code,
                project_name=change.snapshot.name, rule_id=f.rule_id, action="opened", state="opened", ladder_level=level,
                level_name="包抓领导交办" if level == 2 else "责任部门督办", due_on=date(2026, 11, 30), target_kind=acting.kind.value,
                target_name=acting.name, recipients=(acting,), summary=f"督办单L{level}{title}：立案督办"))
            letter = {"number": f"西湖重点办督〔2026〕{len(rows) + 1}号", "issued_on": as_of.isoformat(), "deadline": "2026-11-30",
                      "deadline_provisional": False, "handler": f"{acting.name}负责同志", "handler_department": acting.name,
                      "signed_by": change.snapshot.leader} if level == 2 else None
            rows.append({"case_id": str(case_id), "escalation_id": str(escalation_id), "project_id": str(project_id),
                         "county_code": county, "rule_id": f.rule_id, "state": "opened", "ladder_level": level,
                         "level_name": opened[-1].level_name, "target_kind": acting.kind.value, "target_name": acting.name,
                         "due_on": "2026-11-30", "due_provisional": False, "exception": None, "letter": letter,
                         "clocks_paused": False})
    return Realistic(changes, raised, opened, rows)
