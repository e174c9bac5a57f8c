"""Every kustomization under k8s/ builds, and the Flux layering is what the README says."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.k8s.tree import K8S, LAYERS, ROOT, built, find, kustomization_dirs, objects

BIN = Path(sys.executable).parent


def test_the_tree_has_the_flux_example_layout() -> None:
    assert [str(p) for p in kustomization_dirs()] == [
        "apps/base/load-harness",
        "apps/base/portal",
        "apps/staging",
        "clusters/staging",
        "clusters/staging/flux-system",
        "infrastructure/configs",
        "infrastructure/configs/dashboards",
        "infrastructure/controllers",
    ]


@pytest.mark.parametrize("directory", [str(p) for p in kustomization_dirs()])
def test_kustomization_builds(directory: str) -> None:
    items = objects(built(directory))
    assert items, f"{directory} builds to nothing"
    assert all({"apiVersion", "kind", "metadata"} <= set(o) for o in items)


def test_cluster_layers_depend_on_each_other_in_order() -> None:
    items = objects(built("clusters/staging"))
    flux = {
        o["metadata"]["name"]: o["spec"]
        for o in items
        if o["kind"] == "Kustomization" and o["metadata"]["name"] != "flux-system"
    }
    assert {name: spec["path"] for name, spec in flux.items()} == {
        f"infra-{layer.split('/')[1]}" if layer.startswith("infra") else "apps": f"./k8s/{layer}"
        for layer in LAYERS
    }
    assert {name: spec.get("dependsOn") for name, spec in flux.items()} == {
        "infra-controllers": None,
        "infra-configs": [{"name": "infra-controllers"}],
        "apps": [{"name": "infra-configs"}],
    }
    assert all(spec["prune"] is True and "timeout" in spec for spec in flux.values())
    # wait: true checks every object's health (Flux then ignores healthChecks); apps cannot
    # wait on its Canary targets, which Flagger keeps at 0 replicas, so it names what serves.
    assert {name: spec.get("wait") for name, spec in flux.items()} == {
        "infra-controllers": True,
        "infra-configs": True,
        "apps": False,
    }
    assert [(c["kind"], c["namespace"], c["name"]) for c in flux["apps"]["healthChecks"]] == [
        ("Deployment", "portal", "portal"),
        ("Deployment", "load-harness", "load-harness-primary"),
    ]
    apps = flux["apps"]
    assert apps["postBuild"] == {
        "substituteFrom": [{"kind": "Secret", "name": "flagger-portal-token"}]
    }


def test_every_chart_is_pinned() -> None:
    items = objects(built("infrastructure/controllers"))
    charts = {
        o["metadata"]["name"]: o["spec"]["chart"]["spec"]["version"]
        for o in items
        if o["kind"] == "HelmRelease" and "chart" in o["spec"]
    }
    oci = {
        o["metadata"]["name"]: o["spec"]["ref"]["tag"]
        for o in items
        if o["kind"] == "OCIRepository"
    }
    assert sorted(charts) == [
        "cert-manager",
        "ingress-nginx",
        "kube-prometheus-stack",
        "kyverno",
        "metrics-server",
        "oauth2-proxy",
    ]
    assert oci == {"flagger": "1.44.0", "flagger-loadtester": "0.38.0"}
    assert all(v[0].isdigit() or v[0] == "v" for v in charts.values())
    assert all(any(c in v for c in "*^~><x") is False for v in charts.values())


def test_staging_overlay_patches_the_bases() -> None:
    items = objects(built("apps/staging"))
    hosts = {
        o["metadata"]["name"]: o["spec"]["rules"][0]["host"]
        for o in items
        if o["kind"] == "Ingress"
    }
    assert hosts == {
        "portal": "portal.staging.infra-fleet.example.com",
        "load-harness": "load-harness.staging.infra-fleet.example.com",
    }
    canary = find(items, "Canary", "load-harness")
    load_test = canary["spec"]["analysis"]["webhooks"][5]["metadata"]["cmd"]
    assert "-host load-harness.staging.infra-fleet.example.com " in load_test
    registry = "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
    images = sorted(
        c["image"]
        for o in items
        if o["kind"] == "Deployment"
        for c in o["spec"]["template"]["spec"]["containers"]
        + o["spec"]["template"]["spec"].get("initContainers", [])
    )
    assert images == [
        f"{registry}/infra-fleet/load-harness:v0.1.0",
        f"{registry}/infra-fleet/portal:v0.1.0",
        f"{registry}/infra-fleet/portal:v0.1.0",
        f"{registry}/quay/oauth2-proxy/oauth2-proxy:v7.12.0",
    ]


def test_image_automation_markers_name_existing_policies() -> None:
    text = (K8S / "apps/staging/kustomization.yaml").read_text(encoding="utf-8")
    policies = {
        o["metadata"]["name"] for o in objects(built("apps/staging")) if o["kind"] == "ImagePolicy"
    }
    markers = [
        line.split('"flux-system:')[1].split(":")[0]
        for line in text.splitlines()
        if "$imagepolicy" in line
    ]
    assert sorted(markers) == sorted(policies) == ["load-harness", "portal"]


def test_yamllint_passes_on_k8s() -> None:
    result = subprocess.run(
        [str(BIN / "yamllint"), "--strict", "-c", "k8s/.yamllint.yaml", "k8s"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
