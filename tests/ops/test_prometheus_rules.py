"""The alerting rules parse, and each alert fires when it should and stays quiet when it should not (promtool)."""
from __future__ import annotations

import subprocess

from ops_support import RULE_TESTS, RULES, alert_exprs, promtool

ALERTS = {"TuijinServiceDown", "TuijinConsumerStalled", "TuijinBacklogGrowing", "TuijinDeadLetters",
          "TuijinOutboxNotDraining", "TuijinDeliveryFailures", "TuijinSweepNotRun", "TuijinStreamNearLimit"}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool(), *args], capture_output=True, text=True, timeout=120, check=False)


def test_rules_are_valid() -> None:
    result = run("check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_passes_its_unit_tests() -> None:
    result = run("test", "rules", str(RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_wanted_alert_exists_and_is_unit_tested() -> None:
    assert {name for name, _ in alert_exprs()} == ALERTS
    tested = RULE_TESTS.read_text(encoding="utf-8")
    for alert in ALERTS:
        assert f"alertname: {alert}\n" in tested, f"{alert} has no promtool test"
