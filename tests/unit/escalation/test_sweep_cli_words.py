"""`tuijin escalation sweep` (the dry run) reads as words: every demo finding raised, climbing or cleared, with no rule id
or snake_case token in the line."""
from __future__ import annotations

from datetime import date

import pytest

from services.escalation.cli_sweep import plan_line
from services.escalation.domain.findings import Finding
from services.escalation.domain.ladder import Escalate, Nothing, Open, Raise, Resolve, escalation_key
from shared.labels import RULES
from tests.support.realistic import demo_events
from tests.support.visible import raw_identifiers


@pytest.mark.parametrize("county", ["330106", "330782"])
def test_every_planned_change_of_the_demo_reads_in_chinese(county: str) -> None:
    demo = demo_events(county, date(2026, 11, 23))
    assert demo.escalations
    for e in demo.escalations:
        project = {"county_code": county, "project_id": str(e.project_id), "name": e.project_name, "project_code": e.project_code}
        finding = Finding(e.rule_id, e.rule_version, e.subject, "occurrence", e.level, e.level_name, (), e.evidence, e.summary)
        current = Open(escalation_key(e.project_id, e.rule_id, e.subject), "occurrence", e.level)
        lines = [plan_line(project, Raise(finding)), plan_line(project, Escalate(finding, max(e.level - 1, 1))),
                 plan_line(project, Resolve(current))]
        for line in lines:
            assert line is not None and line.startswith(f"[{county}] ")
            assert not raw_identifiers(line), line
            assert RULES[e.rule_id][0] in line, line
        raised, escalated, resolved = lines
        assert "新预警" in raised and e.summary in raised
        assert "预警升级" in escalated and f"第{e.level}级" in escalated
        assert "已解除" in resolved and (e.project_name or e.project_code) in resolved


def test_nothing_planned_prints_nothing() -> None:
    assert plan_line({"county_code": "330106", "project_id": "p"}, Nothing()) is None
