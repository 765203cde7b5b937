"""`tuijin --help` imports no sub-CLI (they load SQLAlchemy, NATS, FastAPI, openpyxl) and lists each in its own words;
`tuijin escalation` does the same with its commands, so that a person's `case` and `problem` commands (HTTP only) start
without the database."""
from __future__ import annotations

import importlib
import inspect
import json
import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from services.cli import SUB_CLIS, app
from services.cli_lazy import Commands
from services.escalation.cli import COMMANDS

HEAVY = ("sqlalchemy", "nats", "faststream", "fastapi", "openpyxl", "alembic")
PROBE = """
import json, sys
from typer.testing import CliRunner
from services.cli import app
result = CliRunner().invoke(app, json.loads(sys.argv[1]))
print(json.dumps({"code": result.exit_code, "help": result.output,
                  "loaded": sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[2:]))}))
"""


def probe(*args: str) -> dict:
    """`tuijin ARGS` in a fresh interpreter: its exit code, its output, and which of HEAVY it imported."""
    wide = {**os.environ, "COLUMNS": "200", "TERMINAL_WIDTH": "200"}  # one line per command in the help
    out = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args), *HEAVY], capture_output=True, text=True, timeout=60,
                         check=True, env=wide).stdout
    return json.loads(out)  # type: ignore[no-any-return]


def own_help(module: str, attribute: str) -> str | None:
    found = getattr(importlib.import_module(module), attribute)
    return found.info.help if hasattr(found, "info") else inspect.getdoc(found)


@pytest.mark.parametrize(("args", "table"), [((), SUB_CLIS), (("escalation",), COMMANDS)], ids=["tuijin", "escalation"])
def test_the_help_lists_every_command_in_its_own_words_without_importing_any(args: tuple[str, ...], table: Commands) -> None:
    found = probe(*args, "--help")
    assert found["code"] == 0
    assert found["loaded"] == [], f"tuijin {' '.join(args)} --help imported what only a command needs"
    for name, (module, attribute, summary) in table.items():
        assert summary == own_help(module, attribute), f"the summary of `tuijin {' '.join(args)} {name}` differs from its own help"
        assert name in found["help"] and summary in found["help"]


@pytest.mark.parametrize("command", ["case", "problem"])
def test_a_persons_http_commands_start_without_the_database(command: str) -> None:
    found = probe("escalation", command, "list", "--help")
    assert found["code"] == 0 and "--token" in found["help"]
    assert found["loaded"] == [], f"tuijin escalation {command} imported {found['loaded']}"


def test_a_sub_cli_loads_when_it_is_run() -> None:
    result = subprocess.run([sys.executable, "-m", "services.cli", "intake", "--help"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "tokens-issue" in result.stdout


def test_a_mistyped_sub_cli_is_suggested() -> None:
    result = CliRunner().invoke(app, ["simulatr"])
    assert result.exit_code == 2 and "Did you mean 'simulator'?" in result.output, result.output
