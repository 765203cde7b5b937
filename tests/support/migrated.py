"""A fresh SQLite database in the suite starts as a copy of one its service's migrations made earlier in this worker.

The suite creates some 550 fresh SQLite databases (apps built in process, forked services, direct `migrate` calls),
and Alembic spent ~50 ms of CPU bringing each of escalation's to head: 20 of the suite's core-seconds. Here the first
fresh database of each service per test worker is migrated by Alembic into a private file (the template), and every
fresh one after it is a copy. Only `alembic.command.upgrade(config, "head")` on a missing or empty SQLite file is
served so; a database that exists (a service restarted on its file, an older schema brought up) and every
PostgreSQL schema are migrated by Alembic as before, so the migrations themselves still run in every worker.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

TEMPLATES_VARIABLE = "TUIJIN_TEST_MIGRATED_TEMPLATES"


def _fresh_sqlite_file(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database)
    return None if path.exists() and path.stat().st_size else path


def install(templates: Path) -> None:
    """From now on in this process (and what it forks), fresh SQLite databases are copied from `templates`."""
    upgrade = getattr(command.upgrade, "alembic_upgrade", command.upgrade)

    def upgrade_from_template(config: Config, revision: str, *args: Any, **kwargs: Any) -> None:
        url = config.attributes.get("url", "")
        path = _fresh_sqlite_file(url) if revision == "head" and not args and not kwargs else None
        if path is None:
            return upgrade(config, revision, *args, **kwargs)
        script_location = config.get_main_option("script_location") or ""
        template = templates / (script_location.strip("/").replace("/", "_") + ".db")
        if not template.exists():  # migrated in a file of its own: no service ever opens the template
            scratch = templates / f".{template.name}.{os.getpid()}"
            private = Config()
            private.set_main_option("script_location", script_location)
            private.attributes.update(config.attributes, url=make_url(url).set(database=str(scratch)).render_as_string())
            upgrade(private, "head")
            os.replace(scratch, template)
        copy = path.with_name(f".{path.name}.{os.getpid()}.migrated")
        shutil.copyfile(template, copy)
        try:
            os.link(copy, path)  # whole or not at all: a replica starting on the same file sees no half copy
        except FileExistsError:  # another process created it meanwhile: Alembic finds it migrated, or migrates it
            upgrade(config, revision)
        finally:
            copy.unlink()
        return None

    upgrade_from_template.alembic_upgrade = upgrade  # type: ignore[attr-defined]
    templates.mkdir(parents=True, exist_ok=True)
    command.upgrade = upgrade_from_template


def install_from_environment() -> None:
    if templates := os.environ.get(TEMPLATES_VARIABLE):
        install(Path(templates))
