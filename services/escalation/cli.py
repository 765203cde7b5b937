"""Operator commands for escalation: the what-if sweep."""
from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from services.escalation.app import policies
from services.escalation.cli_bulletin import register
from services.escalation.cli_cases import case_app, people_app
from services.escalation.domain.ladder import Escalate, Raise, Resolve
from services.escalation.service import sweep
from services.escalation.settings import Settings
from shared.db import make_engine, migrate, session_factory
from shared.persistence import utcnow

app = typer.Typer(name="escalation", help="Escalation: what-if sweeps.", no_args_is_help=True)
app.add_typer(people_app, name="people")
app.add_typer(case_app, name="case")
register(app)  # bulletin generate, whatif, backtest (cli_bulletin.py)


@app.command("sweep")
def sweep_command(
    as_of: Annotated[str, typer.Option("--as-of", help="Beijing date to evaluate, YYYY-MM-DD")],
    county: Annotated[str | None, typer.Option(help="only this county")] = None,
) -> None:
    """Dry run: what a sweep as of DATE would raise, escalate or resolve. Writes nothing."""
    day = date.fromisoformat(as_of)
    settings = Settings()

    async def run() -> None:
        await migrate(Path(__file__).parent / "migrations", settings.database_url, settings.database_schema)
        engine = make_engine(settings.database_url, settings.database_schema)
        try:
            report = await sweep(session_factory(engine), policies(settings.policy_dir), day, utcnow(), county_code=county, dry_run=True)
        finally:
            await engine.dispose()
        typer.echo(f"as of {day} (Beijing): {report.projects} projects evaluated, {len(report.planned)} changes would follow")
        for project, decision in report.planned:
            name = project.get("name") or project.get("project_code") or project["project_id"]
            if isinstance(decision, Raise):
                line = f"RAISE     L{decision.finding.level} {decision.finding.rule_id} {decision.finding.level_name} — {decision.finding.summary}"
            elif isinstance(decision, Escalate):
                line = f"ESCALATE  L{decision.previous_level}→L{decision.finding.level} {decision.finding.rule_id} {decision.finding.level_name} — {name}"
            elif isinstance(decision, Resolve):
                line = f"RESOLVE   {decision.current.escalation_key.split('|')[1]} — {name}"
            else:
                continue
            typer.echo(f"[{project['county_code']}] {line}")

    asyncio.run(run())
