"""Operator commands: generate a bulletin now, what-if findings as of a day, and backtest a proposed policy."""
from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.ext.asyncio import async_sessionmaker

from services.escalation.bulletin.service import generate_bulletin, month_end
from services.escalation.bulletin.settings import load_bulletin_settings
from services.escalation.cli_store import on_store
from services.escalation.policy_file import load_policy
from services.escalation.problems.policy import load_problem_policy
from services.escalation.project_view import ProjectView, load_project_history, project_view
from services.escalation.project_view import as_json as as_dict
from services.escalation.settings import Settings
from services.escalation.whatif import Step, backtest, findings_report, known_on, load_current, load_history, load_proposed_policy
from shared.clock import BEIJING, beijing_today, clock_from_setting
from shared.wording import rule_name, table

bulletin_app = typer.Typer(name="bulletin", help="每月通报: generate the monthly bulletin.", no_args_is_help=True)
County = Annotated[str, typer.Option(help="6-digit county code, e.g. 330106")]


@bulletin_app.command("generate")
def generate_command(county: County, month: Annotated[str, typer.Option(help="YYYY-MM")],
                     out: Annotated[Path | None, typer.Option(help="also write the HTML, XLSX and DOCX here")] = None) -> None:
    """Generate (a new revision of) the county's bulletin for MONTH now, and publish it through the outbox."""
    async def work(sessions: async_sessionmaker, settings: Settings) -> dict[str, Any]:
        clock = clock_from_setting(settings.clock)
        as_of = min(beijing_today(clock), month_end(month))
        row = await generate_bulletin(sessions, county, month, as_of, clock.now(), load_policy(county, settings.policy_dir),
                                      load_bulletin_settings(county, settings.policy_dir),
                                      problem_policy=load_problem_policy(county, settings.policy_dir))
        assert row is not None
        return row

    row = on_store(work)
    typer.echo(f"{row['figures']['title']}: revision {row['revision']} as of {row['as_of']} ({row['bulletin_id']})")
    for key, value in row["figures"]["headline"].items():
        typer.echo(f"  {key}: {value}")
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        for fmt in ("html", "xlsx", "docx"):
            path = out / f"bulletin-{county}-{month}-r{row['revision']}.{fmt}"
            path.write_bytes(row[fmt].encode() if isinstance(row[fmt], str) else row[fmt])
            typer.echo(f"  wrote {path}")


COLOURS = {"red": "红", "yellow": "黄", "grey": "灰", "green": "绿", "clear": "无"}


def whatif_command(county: County, as_of: Annotated[str, typer.Option("--as-of", help="Beijing date, YYYY-MM-DD")],
                   project: Annotated[str | None, typer.Option(help="one project (项目代码, id or local id): every rule's result")] = None,
                   as_json: Annotated[bool, typer.Option("--json", help="with --project: print JSON")] = False) -> None:
    """Findings by rule and colour as of any day: past days use the facts as known then, later days today's facts."""
    day = date.fromisoformat(as_of)
    if project is not None:
        return _project_whatif(county, project, day, as_json)

    async def work(sessions: async_sessionmaker, settings: Settings) -> tuple[int, dict[str, Any]]:
        today = beijing_today(clock_from_setting(settings.clock))
        projects = known_on(await load_history(sessions, county), day) if day < today else await load_current(sessions, county)
        return len(projects), findings_report(projects, load_policy(county, settings.policy_dir), day)

    projects, report = on_store(work)
    typer.echo(f"{county}：截至{day}（北京时间），共评估{projects}个项目")
    typer.echo(table(("规则", "红", "黄", "其他"), [(rule_name(rule), counts.red, counts.yellow, counts.other)
                                                 for rule, counts in sorted(report.items())]))


def _project_whatif(county: str, project: str, day: date, as_json: bool) -> None:
    async def work(sessions: async_sessionmaker, settings: Settings) -> ProjectView | None:
        return project_view(await load_project_history(sessions, county, project), load_policy(county, settings.policy_dir), day)

    view = on_store(work)
    if view is None:
        raise typer.BadParameter(f"本县（{county}）没有项目 {project}，或截至{day}尚无数据", param_hint="--project")
    if as_json:
        typer.echo(json.dumps(as_dict(view), ensure_ascii=False, indent=2))
        return
    name = view.snapshot.get("name") or view.snapshot.get("project_code") or view.project_id
    typer.echo(f"{name}：截至{day}（北京时间），依据第{view.version}版数据（{view.known_from.astimezone(BEIJING):%Y-%m-%d %H:%M}起）")
    for r in view.results:
        line = f"  {r.title}：{COLOURS.get(r.colour, r.colour)}"
        if r.level is not None:
            who = "、".join(f"{a.name}（{'办理' if a.role == 'action' else '知悉'}）" for a in r.addressees)
            line += f"，第{r.level}级 {r.level_name}；{who}"
            if r.dates:
                line += "；" + "，".join(f"{k} {v}" for k, v in r.dates)
        typer.echo(line)


def backtest_command(county: County, policy: Annotated[Path, typer.Option(help="the proposed <county>.toml", exists=True, dir_okay=False)],
                     start: Annotated[str, typer.Option("--from", help="first Beijing date, YYYY-MM-DD")],
                     end: Annotated[str, typer.Option("--to", help="last Beijing date, YYYY-MM-DD")],
                     step: Annotated[str, typer.Option(help="day, week or month")] = "month") -> None:
    """How many reds (and yellows) would the proposed policy have raised over stored history, against the current one?"""
    if step not in ("day", "week", "month"):
        raise typer.BadParameter("step is day, week or month")
    first, last = date.fromisoformat(start), date.fromisoformat(end)

    async def work(sessions: async_sessionmaker, settings: Settings) -> list[Any]:
        current = load_policy(county, settings.policy_dir)
        proposed = load_proposed_policy(county, policy, settings.policy_dir)
        chosen: Step = step  # type: ignore[assignment]
        return backtest(await load_history(sessions, county), current, proposed, first, last, chosen)

    rows = on_store(work)
    every = {"day": "每天", "week": "每周", "month": "每月"}[step]
    typer.echo(f"{county}：{first}至{last}{every}评估一次，曾亮红灯（黄灯）的项目及对象数")
    typer.echo(table(("规则", "现行红", "拟议红", "现行黄", "拟议黄"), [
        (rule_name(r.rule_id), r.reds_current, r.reds_proposed, r.yellows_current, r.yellows_proposed) for r in rows]))
