"""`tuijin secrets init` and `tuijin nats init-accounts`: a deployment's secrets, made once, kept where they are made."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from services.nats_accounts import init_accounts, seed_path
from shared.service_token import new_token

secrets_app = typer.Typer(name="secrets", help="A deployment's secrets (the service token).", no_args_is_help=True)
nats_app = typer.Typer(name="nats", help="NATS accounts and keys.", no_args_is_help=True)


@secrets_app.command("init")
def secrets_init(directory: Path) -> None:
    """Write DIRECTORY/service_token (mode 600) unless it exists: running it again never changes a secret."""
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = directory / "service_token"
    if path.exists():
        typer.echo(f"{path} exists; kept")
        return
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(new_token())
    typer.echo(f"wrote {path}")


@nats_app.command("init-accounts")
def nats_init_accounts(
    conf: Annotated[Path, typer.Option(help="the accounts file nats.conf includes (public keys only)")],
    seeds: Annotated[Path, typer.Option(help="where the seeds are kept (the services' and each county's; secret)")],
    county: Annotated[list[str] | None, typer.Option(help="a county that submits on the bus (repeat; existing ones are kept)")] = None,
) -> None:
    """Make the services' and each county's nkey (kept if present) and write the accounts file.

    Adding a county later: run it again with --county <code>, then reload nats-server (README: operations)."""
    try:
        keys = init_accounts(conf, seeds, county or ())
    except ValueError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error
    typer.echo(f"wrote {conf}")
    for user, key in keys.items():
        typer.echo(f"  {user:<9} {key}  seed: {seed_path(seeds, user)}")
