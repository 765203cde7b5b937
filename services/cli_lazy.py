"""A command group whose sub-commands are imported when they are run (Click's lazy-loading pattern).

Between them the sub-commands load SQLAlchemy, NATS, FastAPI, openpyxl and python-docx: seconds of start-up that a
command talking HTTP, or `--help`, does not need. The help's list names them from the table, importing none.
"""
from __future__ import annotations

import importlib
from difflib import get_close_matches
from typing import Any, ClassVar

import click
import typer
from typer.core import TyperGroup

# name: (module, attribute: a Typer or a command's function, the line in --help, the same as its own help)
Commands = dict[str, tuple[str, str, str]]


class LazyGroup(TyperGroup):
    """Its own commands as usual, and each of `lazy` imported on first use; subclass it with the table."""

    lazy: ClassVar[Commands] = {}
    listing = False

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*super().list_commands(ctx), *self.lazy]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.lazy:
            return super().get_command(ctx, cmd_name)
        module, attribute, summary = self.lazy[cmd_name]
        if self.listing:
            return click.Command(cmd_name, help=summary)
        found = getattr(importlib.import_module(module), attribute)
        if isinstance(found, typer.Typer):
            command: click.Command = typer.main.get_group(found)
        else:  # one command's function, as Typer makes a command of it
            single = typer.Typer(add_completion=False)
            single.command(cmd_name)(found)
            command = typer.main.get_command(single)
        command.name = cmd_name
        return command

    def resolve_command(self, ctx: click.Context, args: list[str]) -> Any:
        """Typer's, but a mistyped name is matched against the lazy ones too: Typer suggests only the commands it holds
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
