"""Reading one section of the county's policy files (default.toml, then <county>.toml on top), for the parts that
keep their own settings apart from the rule thresholds: `[cases]`, `[problems]`."""
from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


def read_section(path: Path, name: str, keys: set[str], error: type[ValueError]) -> dict[str, Any]:
    """The section's keys of one file; `error` names the file and the key for a bad file, table or key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from exc
    section = data.get(name, {})
    if not isinstance(section, dict):
        raise error(f"{path}: {name} must be a table ([{name}])")
    unknown = sorted(set(section) - keys)
    if unknown:
        raise error(f"{path}: unknown key {name}.{unknown[0]!r}")
    return section


def merged_section(county_code: str, directory: Path, name: str, keys: set[str], error: type[ValueError]) -> dict[str, Any]:
    """default.toml's section, then the county file's on top; no section at all is an empty dict (the defaults)."""
    values: dict[str, Any] = {}
    for path in (directory / "default.toml", directory / f"{county_code}.toml"):
        if path.exists():
            values.update(read_section(path, name, keys, error))
    return values
