"""The what-if sweep: what a sweep as of a day would do, written nowhere."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Any

import typer

from services.escalation.cli_store import on_store
from services.escalation.domain.findings import Finding
from services.escalation.domain.ladder import PERIOD_ENDED, Decision, Escalate, Raise, Resolve
from services.escalation.policy_file import policies
from services.escalation.service import sweep
from shared.persistence import utcnow
from shared.wording import action_name, rule_name, state_name, subject_text


def plan_line(project: dict[str, Any], decision: Decision) -> str | None:
    """One planned change as the office reads it: what would happen, the rule by name, the level, and the project."""
    name = project.get("name") or project.get("project_code") or "（未登记名称的项目）"

    def what(f: Finding) -> str:  # 闲置土地(征收闲置费)（地块XH-1）: the rule's name once, then what it looked at
        rule = rule_name(f.rule_id)
        return f"{f.level_name if rule in f.level_name else f'{rule}·{f.level_name}'}（{subject_text(f.subject)}）"

    if isinstance(decision, Raise):
        line = f"{action_name('raised')}  第{decision.finding.level}级 {what(decision.finding)} — {decision.finding.summary}"
    elif isinstance(decision, Escalate):
        line = f"{action_name('escalated')}  第{decision.previous_level}级→第{decision.finding.level}级 {what(decision.finding)} — {name}"
    elif isinstance(decision, Resolve):
        _, rule_id, subject = decision.current.escalation_key.split("|", 2)
        closed = "考核期结束" if decision.reason == PERIOD_ENDED else state_name("resolved")
        line = f"{closed}  第{decision.current.level}级 {rule_name(rule_id)}（{subject_text(subject)}）— {name}"
    else:
        return None
    return f"[{project['county_code']}] {line}"


def sweep_command(
    as_of: Annotated[str, typer.Option("--as-of", help="Beijing date to evaluate, YYYY-MM-DD")],
    county: Annotated[str | None, typer.Option(help="only this county")] = None,
) -> None:
    """试运行：截至某日巡检将新增、升级或消除哪些预警，不写入任何数据 / Dry run: what a sweep as of DATE would do; writes nothing."""
    day = date.fromisoformat(as_of)
    report = on_store(lambda sessions, settings: sweep(sessions, policies(settings.policy_dir), day, utcnow(), county_code=county,
                                                       dry_run=True))
    typer.echo(f"截至{day}（北京时间）：评估{report.projects}个项目，将有{len(report.planned)}项变化（试运行，未写入）")
    for project, decision in report.planned:
        line = plan_line(project, decision)
        if line:
            typer.echo(line)
