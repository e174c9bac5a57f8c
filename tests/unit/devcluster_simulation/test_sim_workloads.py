"""Pure builders behind the simulators: primaries, pods, payloads, releases, parsing helpers."""

from __future__ import annotations

from collections import Counter
from itertools import count
from typing import Any

import pytest

from devcluster.scenarios import DEMO_SERVICES
from devcluster.simulation.canary_decisions import recovered_routed_weight
from devcluster.simulation.canary_model import Analysis, next_step_weight, parse_canary
from devcluster.simulation.durations import format_duration, parse_duration
from devcluster.simulation.hashing import compute_hash, run_checksum
from devcluster.simulation.pod_planning import deployment_status, plan_pods, template_hash
from devcluster.simulation.primary_objects import (
    primary_deployment,
    primary_hpa,
    promotion_patch,
)
from devcluster.simulation.release_driver import (
    is_bad_release,
    load_at,
    next_version,
    release_patch,
)
from devcluster.simulation.resource_quantities import cpu_millicores, parse_quantity
from devcluster.simulation.webhook_calls import event_metadata, hook_payload

CANARY = {
    "apiVersion": "flagger.app/v1beta1",
    "kind": "Canary",
    "metadata": {"name": "web", "namespace": "shop", "uid": "u-1"},
}


def target(image: str = "web:1", replicas: int = 3) -> dict[str, Any]:
    labels = {"app": "web", "team": "shop"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "shop",
            "labels": labels,
            "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}", "x": "y"},
        },
        "spec": {
            "replicas": replicas,
            "strategy": {"type": "RollingUpdate"},
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": image}]},
            },
        },
    }


def test_primary_deployment_relabels_selector_and_copies_template() -> None:
    primary = primary_deployment(target=target(), canary=CANARY)
    assert primary["metadata"]["name"] == "web-primary"
    assert primary["metadata"]["labels"] == {"app": "web-primary", "team": "shop"}
    assert primary["metadata"]["annotations"] == {"x": "y"}
    assert primary["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "flagger.app/v1beta1",
            "kind": "Canary",
            "name": "web",
            "uid": "u-1",
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]
    spec = primary["spec"]
    assert spec["replicas"] == 3
    assert spec["strategy"] == {"type": "RollingUpdate"}
    assert spec["selector"] == {"matchLabels": {"app": "web-primary"}}
    assert spec["template"]["metadata"]["labels"] == {"app": "web-primary", "team": "shop"}
    assert spec["template"]["spec"]["containers"][0]["image"] == "web:1"


def test_primary_deployment_of_a_target_at_zero_replicas_gets_one() -> None:
    assert primary_deployment(target=target(replicas=0), canary=CANARY)["spec"]["replicas"] == 1


def test_promotion_patch_copies_the_new_template_with_primary_labels() -> None:
    patch = promotion_patch(target=target(image="web:2"))
    template = patch["spec"]["template"]
    assert template["spec"]["containers"][0]["image"] == "web:2"
    assert template["metadata"]["labels"]["app"] == "web-primary"


def test_primary_hpa_scales_the_primary_deployment() -> None:
    hpa: dict[str, Any] = {
        "metadata": {"name": "web", "namespace": "shop", "annotations": {"l": "0.9"}},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 2,
            "maxReplicas": 5,
        },
    }
    primary = primary_hpa(hpa=hpa, primary_name="web-primary", canary=CANARY)
    assert primary["metadata"]["name"] == "web-primary"
    assert primary["metadata"]["annotations"] == {"l": "0.9"}
    assert primary["spec"]["scaleTargetRef"]["name"] == "web-primary"
    assert (primary["spec"]["minReplicas"], primary["spec"]["maxReplicas"]) == (2, 5)
    assert hpa["spec"]["scaleTargetRef"]["name"] == "web"


def suffixes() -> Any:
    numbers = count()
    return lambda: f"s{next(numbers)}"


def test_plan_creates_missing_pods_spread_over_least_loaded_nodes() -> None:
    load: Counter[str] = Counter({"node-a": 2})
    plan = plan_pods(
        deployment=target(),
        pods=[],
        nodes=["node-a", "node-b", "node-c"],
        load=load,
        suffix=suffixes(),
        now="T",
    )
    pod_hash = template_hash(deployment=target())
    assert [pod["metadata"]["name"] for pod in plan.create] == [
        f"web-{pod_hash}-s0",
        f"web-{pod_hash}-s1",
        f"web-{pod_hash}-s2",
    ]
    assert [pod["spec"]["nodeName"] for pod in plan.create] == ["node-b", "node-c", "node-b"]
    pod = plan.create[0]
    assert pod["metadata"]["labels"] == {
        "app": "web",
        "team": "shop",
        "pod-template-hash": pod_hash,
    }
    assert pod["metadata"]["ownerReferences"][0]["name"] == f"web-{pod_hash}"
    assert pod["status"]["phase"] == "Running"
    assert {c["type"]: c["status"] for c in pod["status"]["conditions"]}["Ready"] == "True"
    assert plan.delete == ()


def test_plan_replaces_pods_of_an_old_template_and_trims_surplus() -> None:
    old = plan_pods(
        deployment=target(image="web:1"),
        pods=[],
        nodes=["n"],
        load=Counter(),
        suffix=suffixes(),
        now="T",
    ).create
    new_plan = plan_pods(
        deployment=target(image="web:2", replicas=1),
        pods=list(old),
        nodes=["n"],
        load=Counter(),
        suffix=suffixes(),
        now="T",
    )
    assert sorted(new_plan.delete) == sorted(pod["metadata"]["name"] for pod in old)
    assert len(new_plan.create) == 1
    trimmed = plan_pods(
        deployment=target(image="web:1", replicas=1),
        pods=list(old),
        nodes=["n"],
        load=Counter(),
        suffix=suffixes(),
        now="T",
    )
    assert (len(trimmed.delete), trimmed.create, trimmed.kept) == (2, (), 1)


def test_plan_ignores_pods_of_other_deployments_with_similar_names() -> None:
    other = target()
    other["metadata"]["name"] = "web-primary"
    pods = plan_pods(
        deployment=other, pods=[], nodes=[], load=Counter(), suffix=suffixes(), now="T"
    ).create
    plan = plan_pods(
        deployment=target(), pods=list(pods), nodes=[], load=Counter(), suffix=suffixes(), now="T"
    )
    assert plan.delete == ()
    assert len(plan.create) == 3
    assert "nodeName" not in plan.create[0]["spec"]


def test_deployment_status_counts_ready_replicas_and_omits_zeros() -> None:
    deployment = target()
    deployment["metadata"]["generation"] = 4
    status = deployment_status(deployment=deployment, replicas=3)
    assert {k: v for k, v in status.items() if k != "conditions"} == {
        "observedGeneration": 4,
        "replicas": 3,
        "updatedReplicas": 3,
        "readyReplicas": 3,
        "availableReplicas": 3,
    }
    assert set(deployment_status(deployment=deployment, replicas=0)) == {
        "observedGeneration",
        "conditions",
    }


def test_hook_payload_omits_empty_metadata() -> None:
    assert hook_payload(
        name="web", namespace="shop", phase="Progressing", checksum="c", metadata={}
    ) == {
        "name": "web",
        "namespace": "shop",
        "phase": "Progressing",
        "checksum": "c",
    }
    with_token = hook_payload(
        name="web", namespace="shop", phase="Waiting", checksum="c", metadata={"token": "t"}
    )
    assert with_token["metadata"] == {"token": "t"}


def test_event_metadata_keeps_flaggers_keys_over_the_hooks() -> None:
    metadata = event_metadata(
        hook_metadata={"token": "t", "eventType": "forged"},
        message="Advance web.shop canary weight 10",
        warning=True,
        unix_ms=1700000000123,
    )
    assert metadata == {
        "token": "t",
        "eventMessage": "Advance web.shop canary weight 10",
        "eventType": "Warning",
        "timestamp": "1700000000123",
    }


def test_release_train_bumps_patch_versions_and_marks_every_third_bad() -> None:
    assert next_version(image="registry/x:1.4.0") == "1.4.1"
    assert next_version(image="registry:5000/x:2.9.19") == "2.9.20"
    assert [is_bad_release(number=n) for n in range(6)] == [False, False, True] * 2
    service = DEMO_SERVICES[0]
    bad = release_patch(service=service, version="1.4.1", bad=True)
    assert bad["metadata"]["annotations"] == {
        "devcluster.infra-fleet.io/failure-rate": "0.9",
        "devcluster.infra-fleet.io/success-rate": "91.30",
        "devcluster.infra-fleet.io/primary-ready": None,
        "devcluster.infra-fleet.io/ready": None,
    }
    breaking = release_patch(service=service, version="1.4.1", bad=False, opening="primary-breaks")
    assert breaking["metadata"]["annotations"]["devcluster.infra-fleet.io/primary-ready"] == (
        "false"
    )
    good = release_patch(service=service, version="1.4.2", bad=False)
    assert set(good["metadata"]["annotations"].values()) == {None}
    image = good["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image.endswith("/frontend:1.4.2")


def test_load_wave_stays_within_bounds_and_moves() -> None:
    values = [load_at(seconds=s, index=0, base=0.5) for s in range(0, 1200, 60)]
    assert min(values) >= 0.05
    assert max(values) <= 1.5
    assert max(values) - min(values) > 0.5


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("10s", 10.0), ("1m", 60.0), ("1m30s", 90.0), ("500ms", 0.5), ("2h", 7200.0)],
)
def test_go_durations_parse(text: str, seconds: float) -> None:
    assert parse_duration(text=text) == seconds


@pytest.mark.parametrize("text", ["", "10", "ten s", "5x"])
def test_invalid_durations_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text=text)


def test_durations_format_like_go() -> None:
    assert format_duration(seconds=0.75) == "750ms"
    assert format_duration(seconds=1.5) == "1.5s"


def test_quantities_parse() -> None:
    assert cpu_millicores(quantity="250m") == 250
    assert cpu_millicores(quantity="2") == 2000
    assert parse_quantity(quantity="1Gi") == 2**30
    with pytest.raises(ValueError, match="quantity"):
        parse_quantity(quantity="lots")


def test_hashes_are_stable_and_key_order_free() -> None:
    assert compute_hash(obj={"a": 1, "b": [1, 2]}) == compute_hash(obj={"b": [1, 2], "a": 1})
    assert compute_hash(obj={"a": 1}) != compute_hash(obj={"a": 2})
    assert set(compute_hash(obj={"a": 1})) <= set("bcdfghjklmnpqrstvwxz2456789")
    assert run_checksum(last_applied_spec="x", tracked_configs={}) != run_checksum(
        last_applied_spec="y", tracked_configs={}
    )


@pytest.mark.parametrize(
    ("weight", "expected"), [(0, 1), (1, 4), (5, 20), (25, 25), (50, 50), (80, 20), (100, 1)]
)
def test_step_weights_step_to_the_next_listed_weight(weight: int, expected: int) -> None:
    analysis = Analysis(step_weights=(1, 5, 25, 50, 100))
    assert next_step_weight(analysis=analysis, canary_weight=weight) == expected


def restarted(phase: str, **analysis: Any) -> int:
    obj = {
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {
            "targetRef": {"kind": "Deployment", "name": "web"},
            "analysis": {"stepWeight": 10, "maxWeight": 40, **analysis},
        },
        "status": {"phase": phase, "canaryWeight": 20, "iterations": 3},
    }
    return recovered_routed_weight(canary=parse_canary(obj=obj))


def test_restart_recovers_routes_hidden_by_the_waiting_promotion_trap() -> None:
    assert restarted("WaitingPromotion") == 40
    assert restarted("Progressing") == 20
    assert restarted("Succeeded") == 0
    assert restarted("Progressing", iterations=2) == 100
    assert restarted("Progressing", iterations=5) == 0
    assert restarted("Progressing", iterations=5, match=[{"headers": {}}]) == 100


def test_unready_signal_keeps_pods_running_but_not_ready() -> None:
    deployment = target(replicas=2)
    deployment["metadata"]["annotations"]["devcluster.infra-fleet.io/ready"] = "false"
    plan = plan_pods(
        deployment=deployment, pods=[], nodes=["n"], load=Counter(), suffix=suffixes(), now="T"
    )
    pod_status = plan.create[0]["status"]
    assert pod_status["phase"] == "Running"
    assert {c["type"]: c["status"] for c in pod_status["conditions"]}["Ready"] == "False"
    assert pod_status["containerStatuses"][0]["ready"] is False
    status = deployment_status(deployment=deployment, replicas=2)
    assert {k: v for k, v in status.items() if k != "conditions"} == {
        "observedGeneration": 1,
        "replicas": 2,
        "updatedReplicas": 2,
        "unavailableReplicas": 2,
    }
    assert status["conditions"][0]["reason"] == "MinimumReplicasUnavailable"


def test_readiness_change_restatuses_kept_pods() -> None:
    pods = plan_pods(
        deployment=target(replicas=2),
        pods=[],
        nodes=["n"],
        load=Counter(),
        suffix=suffixes(),
        now="T",
    ).create
    unready = target(replicas=2)
    unready["metadata"]["annotations"]["devcluster.infra-fleet.io/ready"] = "false"
    plan = plan_pods(
        deployment=unready,
        pods=list(pods),
        nodes=["n"],
        load=Counter(),
        suffix=suffixes(),
        now="T2",
    )
    assert (plan.create, plan.delete, plan.kept) == ((), (), 2)
    assert sorted(name for name, _ in plan.restatus) == sorted(
        pod["metadata"]["name"] for pod in pods
    )
    again = plan_pods(
        deployment=target(replicas=2),
        pods=list(pods),
        nodes=["n"],
        load=Counter(),
        suffix=suffixes(),
        now="T3",
    )
    assert again.restatus == ()
