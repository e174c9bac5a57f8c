"""The seeded scenarios: demo objects are valid Flagger Canaries and wire the portal's gates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from devcluster.scenarios import DEMO_SERVICES, scenario_objects
from devcluster.simulation.canary_model import Strategy, parse_canary

CRDS_DIR = Path(__file__).resolve().parents[3].parent / "shared" / "crds"
GATE = "http://127.0.0.1:8000"


def canary_schema() -> dict[str, Any]:
    path = CRDS_DIR / "flagger.app_canaries.yaml"
    if not path.exists():
        pytest.skip(f"Flagger CRDs not found at {CRDS_DIR} (shared/ beside the repo)")
    for document in yaml.safe_load_all(path.read_text()):
        if document and document["spec"]["names"]["kind"] == "Canary":
            schema: dict[str, Any] = document["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
            return schema
    raise AssertionError("no Canary CRD in the file")


def demo(gate_base_url: str | None = GATE, token: str | None = None) -> list[dict[str, Any]]:
    return scenario_objects(scenario="demo", gate_base_url=gate_base_url, gate_token=token)


def of_kind(objects: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [obj for obj in objects if obj["kind"] == kind]


def test_empty_scenario_seeds_nothing() -> None:
    assert scenario_objects(scenario="empty", gate_base_url=GATE, gate_token=None) == []


def test_unknown_scenario_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown scenario 'prod'"):
        scenario_objects(scenario="prod", gate_base_url=None, gate_token=None)


@pytest.mark.parametrize("gate_base_url", [GATE, None])
def test_demo_canaries_are_valid_against_the_flagger_crd(gate_base_url: str | None) -> None:
    schema = canary_schema()
    canaries = of_kind(demo(gate_base_url, token="t0k"), "Canary")
    assert len(canaries) == len(DEMO_SERVICES)
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    for canary in canaries:
        errors = [error.message for error in validator.iter_errors(canary)]
        assert errors == [], canary["metadata"]["name"]


def test_crd_validation_catches_a_broken_canary() -> None:
    schema = canary_schema()
    broken = of_kind(demo(), "Canary")[0]
    broken["spec"]["analysis"]["webhooks"][0]["timeout"] = "ten seconds"
    assert not jsonschema.Draft202012Validator(schema).is_valid(broken)


def test_demo_covers_every_strategy() -> None:
    strategies = [parse_canary(obj=c).analysis for c in of_kind(demo(), "Canary")]
    assert {a.strategy for a in strategies} == set(Strategy)
    assert any(a.step_weights for a in strategies)
    assert any(a.step_weight and not a.step_weights for a in strategies)


def test_demo_creates_namespaces_first_in_three_teams() -> None:
    objects = demo()
    namespaces = [obj["metadata"]["name"] for obj in of_kind(objects, "Namespace")]
    assert namespaces == ["payments", "search", "shop"]
    assert [obj["kind"] for obj in objects[:3]] == ["Namespace"] * 3


def test_demo_references_resolve_to_seeded_objects() -> None:
    objects = demo()
    deployments = {
        (o["metadata"]["namespace"], o["metadata"]["name"]) for o in of_kind(objects, "Deployment")
    }
    hpas = {
        (o["metadata"]["namespace"], o["metadata"]["name"])
        for o in of_kind(objects, "HorizontalPodAutoscaler")
    }
    for canary in of_kind(objects, "Canary"):
        namespace = canary["metadata"]["namespace"]
        assert (namespace, canary["spec"]["targetRef"]["name"]) in deployments
        if "autoscalerRef" in canary["spec"]:
            assert (namespace, canary["spec"]["autoscalerRef"]["name"]) in hpas
    for hpa in of_kind(objects, "HorizontalPodAutoscaler"):
        key = (hpa["metadata"]["namespace"], hpa["spec"]["scaleTargetRef"]["name"])
        assert key in deployments
    assert 0 < len(hpas) < len(deployments)


def test_demo_pods_request_resources() -> None:
    for deployment in of_kind(demo(), "Deployment"):
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert set(container["resources"]["requests"]) == {"cpu", "memory"}
        assert container["image"].endswith(":1.4.0")


def test_demo_nodes_carry_eks_labels_and_capacity() -> None:
    nodes = of_kind(demo(), "Node")
    labels = [node["metadata"]["labels"] for node in nodes]
    assert {label["eks.amazonaws.com/capacityType"] for label in labels} == {"SPOT", "ON_DEMAND"}
    assert {label["node.kubernetes.io/instance-type"] for label in labels} >= {
        "t3.large",
        "m5.xlarge",
        "m6i.large",
    }
    assert {label["topology.kubernetes.io/zone"] for label in labels} == {
        "eu-west-1a",
        "eu-west-1b",
        "eu-west-1c",
    }
    for node in nodes:
        assert set(node["status"]["capacity"]) == {"cpu", "memory", "pods"}
        assert set(node["status"]["allocatable"]) == {"cpu", "memory", "pods"}


def test_demo_gates_point_at_the_portal_with_the_token() -> None:
    frontend = next(
        c for c in of_kind(demo(token="t0k"), "Canary") if c["metadata"]["name"] == "frontend"
    )
    hooks = {hook["type"]: hook for hook in frontend["spec"]["analysis"]["webhooks"]}
    assert {kind: hook["url"] for kind, hook in hooks.items()} == {
        "confirm-rollout": f"{GATE}/flagger/gates/confirm-rollout",
        "confirm-traffic-increase": f"{GATE}/flagger/gates/confirm-traffic-increase",
        "confirm-promotion": f"{GATE}/flagger/gates/confirm-promotion",
        "rollback": f"{GATE}/flagger/gates/rollback",
        "event": f"{GATE}/flagger/events",
    }
    assert {hook["metadata"]["token"] for hook in hooks.values()} == {"t0k"}


def test_blue_green_demo_canary_has_no_traffic_increase_gate() -> None:
    checkout = next(c for c in of_kind(demo(), "Canary") if c["metadata"]["name"] == "checkout")
    types = [hook["type"] for hook in checkout["spec"]["analysis"]["webhooks"]]
    assert "confirm-traffic-increase" not in types
    assert "metadata" not in checkout["spec"]["analysis"]["webhooks"][0]


def test_demo_without_gate_url_has_no_webhooks() -> None:
    for canary in of_kind(demo(gate_base_url=None), "Canary"):
        assert "webhooks" not in canary["spec"]["analysis"]
