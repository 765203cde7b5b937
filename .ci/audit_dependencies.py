"""CI: pip-audit on the installed dependencies; fails on a known vulnerability that has a fixed release.

pip-audit asks PyPI's JSON API for each release's advisories. Where that API cannot be reached, pip-audit
skips every package ("not found on PyPI") and would report "no known vulnerabilities": this says instead
that nothing was audited, and does not fail the build on it. A vulnerability without a fix is shown, not fatal.
"""
from __future__ import annotations

import json
import subprocess
import sys
from typing import Any


def verdict(report: dict[str, Any]) -> tuple[int, list[str]]:
    """(exit code, lines to print) for pip-audit's JSON report."""
    audited = [d for d in report.get("dependencies", []) if "skip_reason" not in d]
    if not audited:
        return 0, ["pip-audit: the vulnerability service was unreachable; the dependencies were NOT audited"]
    fixable, open_ = [], []
    for dependency in audited:
        for vuln in dependency.get("vulns", []):
            line = f"{dependency['name']} {dependency['version']}: {vuln['id']}"
            if vuln.get("fix_versions"):
                fixable.append(f"{line} (fixed in {', '.join(vuln['fix_versions'])})")
            else:
                open_.append(f"{line} (no fix yet)")
    lines = [f"pip-audit: {len(audited)} dependencies audited", *fixable, *open_]
    return (1 if fixable else 0), lines


def main() -> int:
    done = subprocess.run([sys.executable, "-m", "pip_audit", "--format", "json", "--skip-editable", "--progress-spinner", "off"],
                          capture_output=True, text=True, timeout=600)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit did not run; the dependencies were NOT audited:\n{done.stderr[-2000:]}")
        return 0
    code, lines = verdict(report)
    print("\n".join(lines))
    return code


if __name__ == "__main__":
    sys.exit(main())
