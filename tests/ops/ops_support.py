"""What the ops tests share: promtool, the dashboard's and the alerts' PromQL, and the metric names the code exports."""
from __future__ import annotations

import json
import re
import shutil
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support.services import running

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy/prometheus/rules/tuijin.yml"
RULE_TESTS = ROOT / "deploy/prometheus/rules/tests/tuijin_test.yml"
DASHBOARDS = ROOT / "deploy/grafana/dashboards"
DATASOURCES = ROOT / "deploy/grafana/provisioning/datasources/prometheus.yaml"
# Series Prometheus makes itself, not any service.
PROMETHEUS_MADE = frozenset({"up"})
# Grafana's interval variables, replaced to check a panel's PromQL with promtool.
GRAFANA_VARIABLES = {"$__rate_interval": "5m", "$__interval": "1m", "$__range": "1h"}


def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.skip("promtool (Debian package prometheus) not installed")
    return path


def dashboards() -> list[tuple[Path, dict[str, Any]]]:
    return [(path, json.loads(path.read_text(encoding="utf-8"))) for path in sorted(DASHBOARDS.glob("*.json"))]


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel, those nested in collapsed rows included."""
    found = []
    for panel in dashboard.get("panels", []):
        found.append(panel)
        found += panel.get("panels", [])
    return found


def panel_exprs(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(panel title / refId, expr) for every query of the dashboard."""
    return [(f"{panel['title']} / {target['refId']}", target["expr"]) for panel in panels(dashboard) for target in panel.get("targets", [])]


def alert_exprs() -> list[tuple[str, str]]:
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    return [(rule.get("alert") or rule["record"], rule["expr"]) for group in groups for rule in group["rules"]]


def without_grafana_variables(expr: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    return expr


_KEYWORDS = frozenset({"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring", "group_left", "group_right", "inf", "nan"})


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (a careful tokenizer, enough for our rules and panels)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)               # label values and other strings
    if re.search(r"__name__", text):
        raise ValueError(f"select metrics by their name, not by __name__, so that they can be checked: {expr}")
    text = re.sub(r"\{[^}]*\}", " ", text)                           # label matchers
    text = re.sub(r"\[[^\]]*\]", " ", text)                          # ranges and subqueries
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)  # label lists
    text = re.sub(r"(?<![\w:])\d+(?:\.\d+)?(?:ms|[smhdwy])?(?![\w:])", " ", text)                 # numbers, durations
    names = set()
    for match in re.finditer(r"[A-Za-z_:][\w:]*", text):
        following = text[match.end():].lstrip()
        if match.group() in _KEYWORDS or following.startswith("("):  # functions and aggregations
            continue
        names.add(match.group())
    return names


def names_from_exposition(text: str) -> set[str]:
    """Every series name a /metrics page can carry, from its TYPE lines (a labelled family with no sample yet has one too)."""
    names = set()
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, flags=re.MULTILINE):
        base = name.removesuffix("_total")
        names |= {
            "counter": {f"{base}_total", f"{base}_created"},
            "histogram": {f"{name}_bucket", f"{name}_sum", f"{name}_count", f"{name}_created"},
            "summary": {name, f"{name}_sum", f"{name}_count", f"{name}_created"},
        }.get(kind, {name})
    return names


async def exported_metric_names(nats_url: str, tmp_path: Path) -> set[str]:
    """Start the four services (SQLite, the test's nats-server) and read what each one's /metrics declares.

    Started, not only built: the outbox gauges, for one, are registered when the relay starts.
    """
    from services.escalation.app import build as build_escalation
    from services.escalation.settings import Settings as EscalationSettings
    from services.intake.app import create_app
    from services.intake.settings import Settings as IntakeSettings
    from services.notifier.app import build as build_notifier
    from services.notifier.settings import Settings as NotifierSettings
    from services.tracker.app import build as build_tracker
    from services.tracker.settings import Settings as TrackerSettings

    def db(name: str) -> str:
        return f"sqlite+aiosqlite:///{tmp_path / name}.db"

    apps = [
        create_app(IntakeSettings(_env_file=None, nats_url=nats_url, database_url=db("intake"))),  # type: ignore[call-arg]
        build_tracker(TrackerSettings(_env_file=None, nats_url=nats_url, database_url=db("tracker"))),  # type: ignore[call-arg]
        build_escalation(EscalationSettings(_env_file=None, nats_url=nats_url, database_url=db("escalation"), service_token="t" * 43)),  # type: ignore[call-arg]
        build_notifier(NotifierSettings(_env_file=None, nats_url=nats_url, database_url=db("notifier"), file_root=tmp_path)),  # type: ignore[call-arg]
    ]
    names: set[str] = set()
    async with AsyncExitStack() as stack:
        for app in apps:
            client: httpx.AsyncClient = await stack.enter_async_context(running(app))
            page = await client.get("/metrics/")
            assert page.status_code == 200, page.text
            names |= names_from_exposition(page.text)
    return names
