"""scripts/chart_checks.py: the helm commands a user with network runs to check the pinned
charts (README "Deploy with Flux"). Offline, the plan itself is checked: one command per
HelmRelease, at the version and from the repository the tree pins, with the release's values."""

from __future__ import annotations

import pytest
import yaml

from scripts import chart_checks
from tests.k8s.tree import ROOT


def test_one_helm_template_per_release_at_the_pinned_version_and_repository() -> None:
    found = {r.name: r for r in chart_checks.releases(chart_checks.built())}
    assert {name: (r.chart, r.version, r.repository) for name, r in found.items()} == {
        "cert-manager": ("cert-manager", "v1.19.6", "https://charts.jetstack.io"),
        "flagger": ("oci://ghcr.io/fluxcd/charts/flagger", "1.44.0", None),
        "flagger-loadtester": ("oci://ghcr.io/fluxcd/charts/loadtester", "0.38.0", None),
        "ingress-nginx": (
            "ingress-nginx",
            "4.13.3",
            "https://kubernetes.github.io/ingress-nginx",
        ),
        "metrics-server": (
            "metrics-server",
            "3.13.0",
            "https://kubernetes-sigs.github.io/metrics-server/",
        ),
        "kyverno": ("kyverno", "3.6.4", "https://kyverno.github.io/kyverno/"),
        "kube-prometheus-stack": (
            "kube-prometheus-stack",
            "79.12.0",
            "https://prometheus-community.github.io/helm-charts",
        ),
        "oauth2-proxy": ("oauth2-proxy", "8.3.0", "https://oauth2-proxy.github.io/manifests"),
    }
    flagger = found["flagger"]
    assert flagger.values["meshProvider"] == "nginx"
    assert flagger.command(ROOT / "values.yaml") == [
        "helm", "template", "flagger", "oci://ghcr.io/fluxcd/charts/flagger",
        "--version", "1.44.0", "--namespace", "flagger-system",
        "--values", str(ROOT / "values.yaml"),
    ]  # fmt: skip


def test_the_printed_commands_name_values_files_holding_each_releases_values(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert chart_checks.main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 8
    assert all(line.startswith("helm template ") for line in lines)
    kps = next(line for line in lines if line.startswith("helm template kube-prometheus-stack "))
    values_file = ROOT / kps.rsplit(" --values ", 1)[1]
    [release] = [
        r for r in chart_checks.releases(chart_checks.built()) if r.name == "kube-prometheus-stack"
    ]
    assert yaml.safe_load(values_file.read_text()) == release.values
