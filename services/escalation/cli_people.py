"""Commands for people: the county issues them (`people add|list|rotate|disable`) on escalation's database."""
from __future__ import annotations

from typing import Annotated

import typer

from services.escalation.cases.people import ROLES, add_person, disable_person, list_people, rotate_token
from services.escalation.cli_store import on_store

people_app = typer.Typer(name="people", help="People the county issues, with a role and a token.", no_args_is_help=True)


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
        person, token = on_store(lambda s, _: add_person(s, county, login, name, role, department))
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"{person.login} ({person.role}{', ' + person.department if person.department else ''}) {person.person_id}")
    typer.echo(f"token (shown once): {token}")


@people_app.command("list")
def people_list(county: Annotated[str | None, typer.Option(help="only this county")] = None) -> None:
    for p in on_store(lambda s, _: list_people(s, county)):
        typer.echo(f"{p.county_code} {p.login:<16} {p.name:<10} {p.role:<10} {p.department or '-':<12} {'active' if p.active else 'disabled'}")


@people_app.command("rotate")
def people_rotate(login: str) -> None:
    """Issue a new token (the console password) for a person; the old one and every session of theirs end at once."""
    try:
        person, token = on_store(lambda s, _: rotate_token(s, login))
    except LookupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"{person.login}: new token (shown once): {token}")


@people_app.command("disable")
def people_disable(login: str) -> None:
    """Disable a person: their token and every session (console pages included, on every replica) end at once."""
    try:
        person = on_store(lambda s, _: disable_person(s, login))
    except LookupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"disabled {person.login}")
