"""Where `make run` put each service: var/addresses.json, written at start, read by the CLI for its defaults.

`make run` prefers ports 8100–8104 but takes any free port when one is held, so a fixed default in
the CLI would point at the wrong process (or at nothing). An explicit option or environment
variable (--url/TUIJIN_URL, --api/TUIJIN_CASES_API) still wins over the file.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

FILE_NAME = "addresses.json"
MAX_FILE_BYTES = 64 * 1024  # a handful of URLs; anything bigger is not ours


def var_dir() -> Path:
    """`make run`'s state directory: ./var, or TUIJIN_VAR."""
    return Path(os.environ.get("TUIJIN_VAR") or "var").resolve()


def write_addresses(addresses: dict[str, str], var: Path) -> Path:
    """Replace the file atomically: a CLI reading at the same moment sees the old or the new one, whole."""
    path = var / FILE_NAME
    partial = path.with_suffix(".json.tmp")
    partial.write_text(json.dumps(addresses, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    partial.replace(path)
    return path


def read_addresses(var: Path | None = None) -> dict[str, str]:
    """The addresses `make run` wrote, or {} when there is no readable file."""
    path = (var or var_dir()) / FILE_NAME
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {str(name): url for name, url in data.items() if isinstance(url, str)}


def address(name: str, fallback: str) -> str:
    """The address of `name` from the last `make run`, else `fallback` (the service's documented default port)."""
    return read_addresses().get(name, fallback)
