"""promtool on the tree's PromQL: every PrometheusRule checked and unit-tested with synthetic
series, each MetricTemplate query rendered as Flagger does and evaluated against synthetic
ingress-nginx series, and every Grafana dashboard query parsed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.k8s.promql import (
    DASHBOARDS,
    as_recording_rules,
    dashboard_expressions,
    promtool,
    render_template,
    rule_groups,
)
from tests.k8s.tree import Obj, built, find, objects

# What Flagger passes a MetricTemplate for this Canary (name, namespace, target, service,
# ingress, interval: docs.flagger.app "Custom metrics").
FLAGGER_VARIABLES = {
    "name": "load-harness",
    "namespace": "load-harness",
    "target": "load-harness",
    "service": "load-harness",
    "ingress": "load-harness",
    "interval": "1m",
}
CANARY_SERIES = 'namespace="load-harness",ingress="load-harness",canary="load-harness-canary-8080"'
PRIMARY_SERIES = 'namespace="load-harness",ingress="load-harness",canary=""'


def _app() -> list[Obj]:
    return objects(built("apps/staging"))


def _write(path: Path, content: object) -> Path:
    path.write_text(yaml.safe_dump(content, sort_keys=False), encoding="utf-8")
    return path


def test_every_prometheus_rule_passes_promtool_check(tmp_path: Path) -> None:
    rules = [o for o in _app() if o["kind"] == "PrometheusRule"]
    assert [r["metadata"]["name"] for r in rules] == ["load-harness"]
    for rule in rules:
        path = _write(tmp_path / f"{rule['metadata']['name']}.yaml", rule_groups(rule))
        result = promtool("check", "rules", path.name, cwd=tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "SUCCESS: 2 rules found" in result.stdout


def _alert_tests() -> list[dict[str, object]]:
    status = 'flagger_canary_status{namespace="load-harness",name="load-harness"}'
    hpa = 'namespace="load-harness",horizontalpodautoscaler="load-harness-primary"'
    canary_failed = {
        "exp_labels": {"severity": "warning", "namespace": "load-harness", "name": "load-harness"},
        "exp_annotations": {
            "summary": "Canary load-harness/load-harness failed and was rolled back",
            "description": "Flagger reports the last release of load-harness failed; see the "
            "portal's canary page for the reason.",
        },
    }
    at_max = {
        "exp_labels": {
            "severity": "warning",
            "namespace": "load-harness",
            "horizontalpodautoscaler": "load-harness-primary",
        },
        "exp_annotations": {
            "summary": "HPA load-harness/load-harness-primary has been at its maximum for 15 "
            "minutes",
            "description": "Demand exceeds what maxReplicas allows; raise it or find the load.",
        },
    }
    return [
        {
            "interval": "1m",
            "input_series": [
                {"series": status, "values": "0 0 2 2 2 2"},
                {
                    "series": f"kube_horizontalpodautoscaler_status_current_replicas{{{hpa}}}",
                    "values": "4 8x20",
                },
                {
                    "series": f"kube_horizontalpodautoscaler_spec_max_replicas{{{hpa}}}",
                    "values": "8x21",
                },
            ],
            "alert_rule_test": [
                {"eval_time": "2m", "alertname": "CanaryFailed", "exp_alerts": []},
                {"eval_time": "3m", "alertname": "CanaryFailed", "exp_alerts": [canary_failed]},
                {"eval_time": "15m", "alertname": "HPAAtMaxReplicas", "exp_alerts": []},
                {"eval_time": "16m", "alertname": "HPAAtMaxReplicas", "exp_alerts": [at_max]},
            ],
        }
    ]


def test_prometheus_rules_fire_on_synthetic_series(tmp_path: Path) -> None:
    rule = find(_app(), "PrometheusRule", "load-harness")
    _write(tmp_path / "rules.yaml", rule_groups(rule))
    tests = {"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": _alert_tests()}
    _write(tmp_path / "test.yaml", tests)
    result = promtool("test", "rules", "test.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def _metric_series() -> list[dict[str, str]]:
    """Canary traffic at 100 req/s (counters sampled each minute, so rates come out whole): 99
    answered 200, 1 answered 500, buckets putting the 99th percentile at 500 ms; the primary's
    5xx must not count."""
    series = [
        (f'nginx_ingress_controller_requests{{{CANARY_SERIES},status="200"}}', "0+5940x10"),
        (f'nginx_ingress_controller_requests{{{CANARY_SERIES},status="500"}}', "0+60x10"),
        (f'nginx_ingress_controller_requests{{{PRIMARY_SERIES},status="500"}}', "0+3000x10"),
    ]
    buckets = {"0.1": 50, "0.25": 90, "0.5": 99, "1": 100, "+Inf": 100}
    series += [
        (
            f'nginx_ingress_controller_request_duration_seconds_bucket{{{CANARY_SERIES},le="{le}"}}',
            f"0+{per_second * 60}x10",
        )
        for le, per_second in buckets.items()
    ]
    return [{"series": s, "values": v} for s, v in series]


@pytest.mark.parametrize(
    ("template", "expected"),
    [("ingress-success-rate", 99.0), ("ingress-latency-p99", 500.0)],
)
def test_metric_template_query_measures_the_canary(
    tmp_path: Path, template: str, expected: float
) -> None:
    query = find(_app(), "MetricTemplate", template)["spec"]["query"]
    expr = render_template(query, FLAGGER_VARIABLES)
    _write(tmp_path / "rules.yaml", {"groups": []})
    test = {
        "interval": "1m",
        "input_series": _metric_series(),
        "promql_expr_test": [
            {"expr": expr, "eval_time": "5m", "exp_samples": [{"labels": "{}", "value": expected}]}
        ],
    }
    _write(tmp_path / "test.yaml", {"rule_files": ["rules.yaml"], "tests": [test]})
    result = promtool("test", "rules", "test.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_wrong_expected_value_fails_promtool(tmp_path: Path) -> None:
    query = find(_app(), "MetricTemplate", "ingress-success-rate")["spec"]["query"]
    _write(tmp_path / "rules.yaml", {"groups": []})
    test = {
        "interval": "1m",
        "input_series": _metric_series(),
        "promql_expr_test": [
            {
                "expr": render_template(query, FLAGGER_VARIABLES),
                "eval_time": "5m",
                "exp_samples": [{"labels": "{}", "value": 98.5}],
            }
        ],
    }
    _write(tmp_path / "test.yaml", {"rule_files": ["rules.yaml"], "tests": [test]})
    result = promtool("test", "rules", "test.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert "exp:" in result.stderr
    assert "got:" in result.stderr
    assert result.stderr.split("got:")[1].strip() == "{} 9.9E+01"


@pytest.mark.parametrize(
    "name", ["portal", "load-harness", "flagger-canaries", "dora", "dora-portal"]
)
def test_dashboard_queries_parse(tmp_path: Path, name: str) -> None:
    expressions = dashboard_expressions(DASHBOARDS / f"{name}.json")
    assert expressions
    (tmp_path / "dashboard.yaml").write_text(as_recording_rules(expressions), encoding="utf-8")
    result = promtool("check", "rules", "dashboard.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dashboards_are_labelled_config_maps_for_the_grafana_sidecar() -> None:
    maps = [o for o in objects(built("infrastructure/configs")) if o["kind"] == "ConfigMap"]
    assert sorted(m["metadata"]["name"] for m in maps) == [
        "dashboard-dora",
        "dashboard-dora-portal",
        "dashboard-flagger-canaries",
        "dashboard-load-harness",
        "dashboard-portal",
    ]
    for config_map in maps:
        assert config_map["metadata"]["namespace"] == "monitoring"
        assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"
        assert config_map["metadata"]["annotations"] == {"grafana_folder": "infra-fleet"}
        (content,) = config_map["data"].values()
        board = json.loads(content)
        assert board["uid"].startswith("infra-fleet-")
