"""`tuijin --help` imports no sub-CLI (they load SQLAlchemy, NATS, FastAPI, openpyxl) and lists each in its own words."""
from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys

from typer.testing import CliRunner

from services.cli import SUB_CLIS, app

HEAVY = ("sqlalchemy", "nats", "faststream", "fastapi", "openpyxl", "alembic")
PROBE = """
import json, sys
from typer.testing import CliRunner
from services.cli import app
result = CliRunner().invoke(app, ["--help"])
print(json.dumps({"code": result.exit_code, "help": result.output,
                  "loaded": sorted({m.split(".")[0] for m in sys.modules} & set(sys.argv[1:]))}))
"""


def test_the_help_lists_every_sub_cli_in_its_own_words_without_importing_any() -> None:
    wide = {**os.environ, "COLUMNS": "200", "TERMINAL_WIDTH": "200"}  # one line per command in the help
    out = subprocess.run([sys.executable, "-c", PROBE, *HEAVY], capture_output=True, text=True, timeout=60, check=True, env=wide).stdout
    probe = json.loads(out)
    assert probe["code"] == 0
    assert probe["loaded"] == [], "tuijin --help imported what only a sub-CLI needs"
    for name, (module, attribute, summary) in SUB_CLIS.items():
        typer_app = getattr(importlib.import_module(module), attribute)
        assert summary == typer_app.info.help, f"the summary of `tuijin {name}` differs from its own help"
        assert name in probe["help"] and summary in probe["help"]


def test_a_sub_cli_loads_when_it_is_run() -> None:
    result = subprocess.run([sys.executable, "-m", "services.cli", "intake", "--help"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "tokens-issue" in result.stdout


def test_a_mistyped_sub_cli_is_suggested() -> None:
    result = CliRunner().invoke(app, ["simulatr"])
    assert result.exit_code == 2 and "Did you mean 'simulator'?" in result.output, result.output
