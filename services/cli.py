"""`tuijin`: the county's and the operator's command line."""
from __future__ import annotations

import importlib
import json
import os
from difflib import get_close_matches
from typing import Annotated, Any

import click
import httpx
import typer
from typer.core import TyperGroup

from services.addresses import address

# Each sub-CLI is imported when it is run: between them they load SQLAlchemy, NATS, FastAPI and openpyxl, seconds
# of start-up that `tuijin projects` and `tuijin --help` do not need. Name: (module, its Typer, the line in --help).
SUB_CLIS = {
    "intake": ("services.intake.cli", "app", "Intake: county tokens, rejected items and spreadsheet uploads."),
    "escalation": ("services.escalation.cli", "app", "预警督办 / Escalation: what-if sweeps, cases, bulletins."),
    "simulator": ("services.simulator.cli", "app", "County simulator: realistic feeds with planted problems."),
    "dead-letters": ("services.deadletters_cli", "app", "Messages that failed for good: list them, replay them after a fix."),
    "secrets": ("services.security_cli", "secrets_app", "A deployment's secrets (the service token)."),
    "nats": ("services.security_cli", "nats_app", "NATS accounts and keys."),
}


class LazyGroup(TyperGroup):
    """The top-level group: its own commands as usual, each sub-CLI imported on first use (Click's lazy-loading
    pattern); the help's list names them from SUB_CLIS without importing them."""

    listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *SUB_CLIS]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in SUB_CLIS:
            return super().get_command(ctx, cmd_name)
        module, attribute, summary = SUB_CLIS[cmd_name]
        if self.listing:
            return click.Group(cmd_name, help=summary)
        group = typer.main.get_group(getattr(importlib.import_module(module), attribute))
        group.name = cmd_name
        return group

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        """Typer's, but a mistyped name is matched against the sub-CLIs too: Typer suggests only the commands it holds
        (`tuijin escalatoin` offered 'escalations', not 'escalation')."""
        try:
            return super().resolve_command(ctx, args)
        except Exception as error:  # Typer's UsageError, from the click it bundles
            message = getattr(error, "message", "")
            if args and message.startswith("No such command") and (matches := get_close_matches(args[0], self.list_commands(ctx))):
                error.message = f"{message.split('. Did you mean')[0].rstrip('.')}. Did you mean {', '.join(map(repr, matches))}?"
            raise

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self.listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self.listing = False


app = typer.Typer(cls=LazyGroup, help="推进 Tuijin: key-project supervision.", no_args_is_help=True)

Url = Annotated[str, typer.Option(envvar="TUIJIN_URL", help="intake's HTTP address (the front door; default: where `make run` put it)")]
INTAKE_URL = address("intake", "http://127.0.0.1:8100")
Token = Annotated[str, typer.Option(envvar="TUIJIN_TOKEN", help="the county's bearer token")]


def _get(url: str, token: str, path: str, **params: Any) -> Any:
    response = httpx.get(f"{url}{path}", params={k: v for k, v in params.items() if v is not None},
                         headers={"Authorization": f"Bearer {token}"}, timeout=30)
    if response.status_code >= 400:
        typer.echo(f"{response.status_code}: {response.text}", err=True)
        raise typer.Exit(1)
    return response.json()


def _show(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


@app.command()
def project(county: str, key: str, url: Url = INTAKE_URL, token: Token = "",
            history: Annotated[bool, typer.Option(help="the stage history and change log instead")] = False) -> None:
    """A project's current state (by 项目代码 or local id), or its history."""
    _show(_get(url, token, f"/v1/counties/{county}/projects/{key}" + ("/history" if history else "")))


@app.command()
def projects(county: str, url: Url = INTAKE_URL, token: Token = "", stage: str | None = None) -> None:
    """The county's projects."""
    _show(_get(url, token, f"/v1/counties/{county}/projects", stage=stage))


@app.command()
def escalations(county: str, url: Url = INTAKE_URL, token: Token = "",
                status: Annotated[str, typer.Option(help="open, cleared or all")] = "open") -> None:
    """The county's escalations with their evidence."""
    rows = _get(url, token, f"/v1/counties/{county}/escalations", status=status)["escalations"]
    for row in rows:
        typer.echo(f"{row['status']:<8} L{row['level']} {row['rule_id']:<18} {row['level_name']}  {row['summary']}")
        typer.echo("         " + "; ".join(f"{k}={v}" for k, v in row["evidence"].items()))


@app.command()
def rejected(county: str, url: Url = INTAKE_URL, token: Token = "") -> None:
    """The county's rejected items, with the field and reason of each error."""
    _show(_get(url, token, f"/v1/counties/{county}/rejected"))


def main() -> None:
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app()


if __name__ == "__main__":
    main()
