"""Commands for people: the county issues them (`people add|list|rotate|disable`) on escalation's database."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from services.escalation.cases.people import ROLES, add_person, disable_person, list_people, rotate_token
from services.escalation.settings import Settings
from shared.db import run_on_store

people_app = typer.Typer(name="people", help="People the county issues, with a role and a token.", no_args_is_help=True)
T = TypeVar("T")
MIGRATIONS = Path(__file__).parent / "migrations"


def _with_store(work: Callable[[Any], Awaitable[T]]) -> T:
    settings = Settings()
    return run_on_store(MIGRATIONS, settings.database_url, settings.database_schema, work)


@people_app.command("add")
def people_add(
    county: Annotated[str, typer.Option(help="6-digit county code")],
    login: Annotated[str, typer.Option()],
    name: Annotated[str, typer.Option()],
    role: Annotated[str, typer.Option(help=" | ".join(ROLES))],
    department: Annotated[str | None, typer.Option(help="a handler's department; a leader's name as the project facts spell it")] = None,
) -> None:
    """Issue a person; the token is printed once and never stored."""
    try:
        person, token = _with_store(lambda s: add_person(s, county, login, name, role, department))
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"{person.login} ({person.role}{', ' + person.department if person.department else ''}) {person.person_id}")
    typer.echo(f"token (shown once): {token}")


@people_app.command("list")
def people_list(county: Annotated[str | None, typer.Option(help="only this county")] = None) -> None:
    for p in _with_store(lambda s: list_people(s, county)):
        typer.echo(f"{p.county_code} {p.login:<16} {p.name:<10} {p.role:<10} {p.department or '-':<12} {'active' if p.active else 'disabled'}")


@people_app.command("rotate")
def people_rotate(login: str) -> None:
    """Issue a new token (the console password) for a person; the old one and every session of theirs end at once."""
    try:
        person, token = _with_store(lambda s: rotate_token(s, login))
    except LookupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{person.login}: new token (shown once): {token}")


@people_app.command("disable")
def people_disable(login: str) -> None:
    """Disable a person: their token and every session (console pages included, on every replica) end at once."""
    try:
        person = _with_store(lambda s: disable_person(s, login))
    except LookupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"disabled {person.login}")
