"""The CI gate on pip-audit's report: a fixable vulnerability fails, an unreachable service is said, not hidden."""
from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "audit_dependencies.py"
spec = importlib.util.spec_from_file_location("audit_dependencies", SCRIPT)
assert spec and spec.loader
audit = importlib.util.module_from_spec(spec)
spec.loader.exec_module(audit)


def test_a_vulnerability_with_a_fix_fails_the_build() -> None:
    report = {"dependencies": [{"name": "jinja2", "version": "3.1.2", "vulns": [{"id": "GHSA-h5c8", "fix_versions": ["3.1.3"]}]},
                               {"name": "httpx", "version": "0.29.0", "vulns": []}]}
    code, lines = audit.verdict(report)
    assert code == 1 and "jinja2 3.1.2: GHSA-h5c8 (fixed in 3.1.3)" in lines


def test_a_vulnerability_without_a_fix_is_shown_but_passes() -> None:
    code, lines = audit.verdict({"dependencies": [{"name": "x", "version": "1", "vulns": [{"id": "PYSEC-1", "fix_versions": []}]}]})
    assert code == 0 and "x 1: PYSEC-1 (no fix yet)" in lines


def test_an_unreachable_service_is_reported_as_not_audited() -> None:
    report = {"dependencies": [{"name": "httpx", "version": "0.29.0", "skip_reason": "Dependency not found on PyPI"}]}
    code, lines = audit.verdict(report)
    assert code == 0 and "NOT audited" in lines[0]
