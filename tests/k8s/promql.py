"""PromQL from the tree, in the shapes promtool reads: PrometheusRule groups as a rules file,
MetricTemplate queries rendered as Flagger renders them, dashboard expressions as recording
rules (so `promtool check rules` parses each one)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml

from tests.k8s.tree import K8S, Obj

PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
TEMPLATE_VARIABLE = re.compile(r"\{\{\s*(\w+)\s*\}\}")
DASHBOARDS = K8S / "infrastructure" / "configs" / "dashboards"


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PROMTOOL, *args], capture_output=True, text=True, timeout=60, check=False, cwd=cwd
    )


def rule_groups(rule: Obj) -> dict[str, Any]:
    """A PrometheusRule's spec as a Prometheus rules file."""
    return {"groups": rule["spec"]["groups"]}


def render_template(query: str, variables: dict[str, str]) -> str:
    """Flagger's MetricTemplate rendering of `{{ name }}`-style variables; unknown ones fail."""

    def value(match: re.Match[str]) -> str:
        assert match.group(1) in variables, f"Flagger has no variable {match.group(1)!r}"
        return variables[match.group(1)]

    return TEMPLATE_VARIABLE.sub(value, query)


def dashboard_expressions(path: Path) -> list[str]:
    board = json.loads(path.read_text(encoding="utf-8"))
    return [target["expr"] for panel in board["panels"] for target in panel["targets"]]


def as_recording_rules(expressions: list[str]) -> str:
    rules = [{"record": f"dashboard:expr_{i}", "expr": e} for i, e in enumerate(expressions)]
    return yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]})
