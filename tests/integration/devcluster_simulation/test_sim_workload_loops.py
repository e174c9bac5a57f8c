"""The HPA simulator and the Deployment controller against a real devcluster."""

from __future__ import annotations

from typing import Any

from tests.integration.devcluster_simulation.support import Api, wait_for

NS = "team"
DEPLOY = f"/apis/apps/v1/namespaces/{NS}/deployments/api"
HPA = f"/apis/autoscaling/v2/namespaces/{NS}/horizontalpodautoscalers/api"
PODS = f"/api/v1/namespaces/{NS}/pods"
LOAD = "devcluster.infra-fleet.io/load"


def deployment(replicas: int, image: str = "api:1") -> dict[str, Any]:
    labels = {"app": "api"}
    container = {
        "name": "api",
        "image": image,
        "resources": {"requests": {"cpu": "200m", "memory": "128Mi"}},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "api", "namespace": NS},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }


def hpa(load: str) -> dict[str, Any]:
    cpu = {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 50}}
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "api", "namespace": NS, "annotations": {LOAD: load}},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"},
            "minReplicas": 2,
            "maxReplicas": 6,
            "metrics": [{"type": "Resource", "resource": cpu}],
        },
    }


def node(name: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name}}


async def setup(api: Api, *objects: tuple[str, dict[str, Any]]) -> None:
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}
    await api.create("/api/v1/namespaces", namespace)
    for path, body in objects:
        await api.create(path, body)


async def running_pods(api: Api) -> list[dict[str, Any]]:
    pods = (await api.get(PODS))["items"]
    return [pod for pod in pods if pod.get("status", {}).get("phase") == "Running"]


async def replicas_are(api: Api, replicas: int) -> bool:
    return bool((await api.get(DEPLOY))["spec"]["replicas"] == replicas)


async def pods_are(api: Api, count: int, image: str = "api:1") -> bool:
    pods = await running_pods(api)
    images = {pod["spec"]["containers"][0]["image"] for pod in pods}
    return len(pods) == count and images == {image}


async def test_deployment_controller_keeps_pods_and_status_in_line(api: Api) -> None:
    nodes = [("/api/v1/nodes", node(name)) for name in ("node-a", "node-b")]
    await setup(api, *nodes, (f"/apis/apps/v1/namespaces/{NS}/deployments", deployment(3)))
    await wait_for(lambda: pods_are(api, 3))
    pods = await running_pods(api)
    assert sorted(pod["spec"]["nodeName"] for pod in pods) == ["node-a", "node-a", "node-b"]
    assert {pod["metadata"]["labels"]["app"] for pod in pods} == {"api"}
    assert all(pod["metadata"]["name"].startswith("api-") for pod in pods)
    assert {pod["spec"]["containers"][0]["resources"]["requests"]["cpu"] for pod in pods} == {
        "200m"
    }
    status = await wait_for(lambda: _status_with(api, "readyReplicas", 3))
    assert (status["replicas"], status["availableReplicas"], status["updatedReplicas"]) == (3, 3, 3)
    assert status["observedGeneration"] == (await api.get(DEPLOY))["metadata"]["generation"]
    await api.patch(DEPLOY, {"spec": {"replicas": 1}})
    await wait_for(lambda: pods_are(api, 1))
    await api.patch(
        DEPLOY, {"spec": {"template": deployment(1, image="api:2")["spec"]["template"]}}
    )
    await wait_for(lambda: pods_are(api, 1, image="api:2"))


async def _status_with(api: Api, key: str, value: int) -> dict[str, Any] | None:
    status: dict[str, Any] = (await api.get(DEPLOY)).get("status") or {}
    return status if status.get(key) == value else None


async def test_hpa_scales_target_on_load_and_reports_status(api: Api) -> None:
    await setup(
        api,
        (f"/apis/apps/v1/namespaces/{NS}/deployments", deployment(2)),
        (f"/apis/autoscaling/v2/namespaces/{NS}/horizontalpodautoscalers", hpa("0.9")),
    )
    await wait_for(lambda: replicas_are(api, 4))
    status = await wait_for(lambda: _hpa_status_with(api, "currentReplicas", 4))
    assert status["desiredReplicas"] == 4
    assert status["currentMetrics"] == [
        {
            "type": "Resource",
            "resource": {
                "name": "cpu",
                "current": {"averageUtilization": 45, "averageValue": "90m"},
            },
        }
    ]
    conditions = {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}
    assert conditions["ScalingActive"] == ("True", "ValidMetricFound")
    assert conditions["ScalingLimited"] == ("False", "DesiredWithinRange")
    assert "lastScaleTime" in status
    events = (await api.get(f"/api/v1/namespaces/{NS}/events"))["items"]
    rescales = [e for e in events if e["reason"] == "SuccessfulRescale"]
    assert [e["message"] for e in rescales] == [
        "New size: 4; reason: cpu resource utilization (percentage of request) above target"
    ]
    assert rescales[0]["source"] == {"component": "horizontal-pod-autoscaler"}
    assert rescales[0]["involvedObject"]["kind"] == "HorizontalPodAutoscaler"
    await api.patch(HPA, {"metadata": {"annotations": {LOAD: "5"}}})
    await wait_for(lambda: replicas_are(api, 6))
    limited = await wait_for(lambda: _limited_by(api, "TooManyReplicas", current=6))
    assert limited["desiredReplicas"] == 6


async def _hpa_status_with(api: Api, key: str, value: int) -> dict[str, Any] | None:
    status: dict[str, Any] = (await api.get(HPA)).get("status") or {}
    return status if status.get(key) == value else None


async def _limited_by(api: Api, reason: str, *, current: int) -> dict[str, Any] | None:
    status: dict[str, Any] = (await api.get(HPA)).get("status") or {}
    found = [c for c in status.get("conditions", ()) if c["type"] == "ScalingLimited"]
    matches = found and found[0]["reason"] == reason and status["currentReplicas"] == current
    return status if matches else None


async def test_hpa_of_a_target_scaled_to_zero_reports_scaling_disabled(api: Api) -> None:
    await setup(
        api,
        (f"/apis/apps/v1/namespaces/{NS}/deployments", deployment(0)),
        (f"/apis/autoscaling/v2/namespaces/{NS}/horizontalpodautoscalers", hpa("0.9")),
    )
    status = await wait_for(lambda: _hpa_status_with(api, "currentReplicas", 0))
    conditions = {c["type"]: (c["status"], c["reason"]) for c in status["conditions"]}
    assert conditions["ScalingActive"] == ("False", "ScalingDisabled")
    assert (await api.get(DEPLOY))["spec"]["replicas"] == 0
