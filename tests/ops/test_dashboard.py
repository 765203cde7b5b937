"""The provisioned Grafana dashboard: valid JSON, its own uid, the provisioned data source, valid PromQL,
and only metric names that some service (or Prometheus itself) really exports."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml
from ops_support import (
    DATASOURCES,
    PROMETHEUS_MADE,
    alert_exprs,
    dashboards,
    exported_metric_names,
    metric_names,
    panel_exprs,
    panels,
    promtool,
    without_grafana_variables,
)


def provisioned_uid() -> str:
    (source,) = yaml.safe_load(DATASOURCES.read_text(encoding="utf-8"))["datasources"]
    return str(source["uid"])


def test_dashboards_have_fixed_unique_uids_and_titles() -> None:
    found = dashboards()
    assert found, "no dashboard in deploy/grafana/dashboards"
    uids = [dashboard["uid"] for _, dashboard in found]
    assert all(uids) and len(set(uids)) == len(uids)
    for _, dashboard in found:
        assert dashboard["id"] is None  # Grafana assigns ids; a fixed one clashes between instances
        assert dashboard["title"]
        ids = [panel["id"] for panel in panels(dashboard)]
        assert len(set(ids)) == len(ids), "panel ids repeat"


def test_every_panel_queries_the_provisioned_datasource() -> None:
    uid = provisioned_uid()
    for _, dashboard in dashboards():
        for panel in panels(dashboard):
            if panel["type"] == "row":
                continue
            assert panel["datasource"]["uid"] == uid, panel["title"]
            assert panel["targets"], f"{panel['title']} has no query"
            for target in panel["targets"]:
                assert target.get("datasource", panel["datasource"])["uid"] == uid, panel["title"]


def test_every_panel_expr_is_valid_promql(tmp_path: Path) -> None:
    """promtool has no PromQL checker of its own: each expr becomes a recording rule of a throw-away file."""
    rules = []
    for _, dashboard in dashboards():
        for index, (_, expr) in enumerate(panel_exprs(dashboard)):
            assert "$" not in without_grafana_variables(expr), f"unknown Grafana variable in {expr}"
            rules.append({"record": f"dashboard:{re.sub(r'[^a-z0-9]', '_', dashboard['uid'])}:expr_{index}",
                          "expr": without_grafana_variables(expr)})
    path = tmp_path / "panels.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "panels", "rules": rules}]}, allow_unicode=True), encoding="utf-8")
    result = subprocess.run([promtool(), "check", "rules", str(path)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules)} rules found" in result.stdout


def test_metric_names_are_read_from_promql() -> None:
    expr = ('sum by (job, le) (rate(tracker_batch_duration_seconds_bucket{consumer="x"}[$__rate_interval])) '
            'unless on (job) up offset 15m or time() - max(escalation_last_sweep_timestamp_seconds) > 3600')
    assert metric_names(without_grafana_variables(expr)) == {
        "tracker_batch_duration_seconds_bucket", "up", "escalation_last_sweep_timestamp_seconds"}


async def test_panels_and_alerts_use_only_metrics_the_services_export(nats_server, tmp_path: Path) -> None:
    exported = await exported_metric_names(nats_server.url, tmp_path) | PROMETHEUS_MADE
    queries = [(f"alert {name}", expr) for name, expr in alert_exprs()]
    queries += [(f"panel {where}", expr) for _, dashboard in dashboards() for where, expr in panel_exprs(dashboard)]
    missing = []
    for where, expr in queries:
        names = metric_names(without_grafana_variables(expr))
        assert names, f"{where} selects no metric: {expr}"
        missing += [f"{where}: {name}" for name in sorted(names - exported)]
    assert not missing, "metrics no service exports:\n" + "\n".join(missing)
