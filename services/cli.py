"""`tuijin`: the county's and the operator's command line."""
from __future__ import annotations

import json
import os
from typing import Annotated, Any

import httpx
import typer

from services.addresses import address
from services.cli_lazy import Commands, LazyGroup

# Each sub-CLI is imported when it is run (services.cli_lazy): `tuijin projects` and `tuijin --help` need none of them.
SUB_CLIS: Commands = {
    "intake": ("services.intake.cli", "app", "Intake: county tokens, rejected items and spreadsheet uploads."),
    "escalation": ("services.escalation.cli", "app", "预警督办 / Escalation: what-if sweeps, cases, bulletins."),
    "simulator": ("services.simulator.cli", "app", "County simulator: realistic feeds with planted problems."),
    "dead-letters": ("services.deadletters_cli", "app", "Messages that failed for good: list them, replay them after a fix."),
    "secrets": ("services.security_cli", "secrets_app", "A deployment's secrets (the service token)."),
    "nats": ("services.security_cli", "nats_app", "NATS accounts and keys."),
}


class TopLevel(LazyGroup):
    lazy = SUB_CLIS


app = typer.Typer(cls=TopLevel, help="推进 Tuijin: key-project supervision.", no_args_is_help=True)

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
