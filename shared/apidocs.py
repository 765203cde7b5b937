"""Write the API documents kept in the repository: AsyncAPI of each consuming service, OpenAPI of intake.

    python -m shared.apidocs            # rewrite docs/asyncapi/*.json and docs/openapi/intake.json
    python -m shared.apidocs --check    # exit 1 when a committed document differs (what CI runs via tests)

The AsyncAPI documents are what `faststream docs gen services.<svc>.app:app` writes (the same
`app.schema.to_specification().to_jsonable()` call); intake's OpenAPI is built from `create_app`
without starting it, so neither needs NATS nor a database.
"""
from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ASYNCAPI_SERVICES = ("tracker", "escalation", "notifier", "console")


def asyncapi(service: str) -> dict[str, Any]:
    app = importlib.import_module(f"services.{service}.app").app
    return app.schema.to_specification().to_jsonable()  # type: ignore[no-any-return]


def intake_openapi() -> dict[str, Any]:
    from services.intake.app import create_app
    from services.intake.settings import Settings

    # Defaults only: a developer's .env or INTAKE_* variables must not leak into the committed document.
    return create_app(Settings(_env_file=None)).openapi()  # type: ignore[call-arg]


def _text(document: dict[str, Any], sort_keys: bool) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=sort_keys) + "\n"


def documents() -> dict[Path, str]:
    """Relative path -> file text, exactly as committed.

    AsyncAPI keys are sorted: FastStream keeps publishers in a WeakSet, so channel order follows
    memory addresses and changes from run to run. FastAPI's OpenAPI order is stable (route order) and kept.
    """
    docs = {Path("docs/asyncapi") / f"{service}.json": _text(asyncapi(service), sort_keys=True) for service in ASYNCAPI_SERVICES}
    docs[Path("docs/openapi/intake.json")] = _text(intake_openapi(), sort_keys=False)
    return docs


def stale(root: Path = ROOT) -> list[Path]:
    """The documents whose committed text differs from a fresh one (missing counts as different)."""
    return [path for path, text in documents().items()
            if not (root / path).is_file() or (root / path).read_text(encoding="utf-8") != text]


def write(root: Path = ROOT) -> list[Path]:
    written = []
    for path, text in documents().items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if "--check" in args:
        outdated = stale()
        for path in outdated:
            print(f"{path} is out of date: run python -m shared.apidocs", file=sys.stderr)
        return 1 if outdated else 0
    for path in write():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
