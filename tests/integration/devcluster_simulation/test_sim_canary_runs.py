"""The Flagger simulator against a real devcluster and a real gate server over HTTP."""

from __future__ import annotations

from typing import Any

import httpx

from devcluster.harness import DevCluster
from devcluster.simulation.hashing import run_checksum
from tests.integration.devcluster_simulation.support import Api, GateServer, wait_for

NS = "shop"
CANARY = f"/apis/flagger.app/v1beta1/namespaces/{NS}/canaries/web"
TARGET = f"/apis/apps/v1/namespaces/{NS}/deployments/web-app"
PRIMARY = f"/apis/apps/v1/namespaces/{NS}/deployments/web-app-primary"
FAILURE_RATE = "devcluster.infra-fleet.io/failure-rate"


def deployment(version: str = "1.0.0") -> dict[str, Any]:
    labels = {"app": "web-app"}
    container = {
        "name": "web",
        "image": f"registry.local/web:{version}",
        "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web-app", "namespace": NS, "labels": labels},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {"metadata": {"labels": labels}, "spec": {"containers": [container]}},
        },
    }


def canary(webhooks: list[dict[str, Any]], **analysis: Any) -> dict[str, Any]:
    spec_analysis: dict[str, Any] = {
        "interval": "10s",
        "threshold": 2,
        "maxWeight": 50,
        "stepWeight": 25,
        "metrics": [{"name": "request-success-rate", "thresholdRange": {"min": 99}}],
        "webhooks": webhooks,
    }
    spec_analysis.update(analysis)
    return {
        "apiVersion": "flagger.app/v1beta1",
        "kind": "Canary",
        "metadata": {"name": "web", "namespace": NS},
        "spec": {
            "targetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web-app"},
            "service": {"port": 80},
            "analysis": spec_analysis,
        },
    }


def hook(gates: GateServer, kind: str, **extra: Any) -> dict[str, Any]:
    return {"name": f"gate-{kind}", "type": kind, "url": f"{gates.url}/{kind}", **extra}


async def phase(api: Api) -> str:
    return str((await api.get(CANARY)).get("status", {}).get("phase", ""))


async def initialised(api: Api, body: dict[str, Any]) -> None:
    await api.create(
        "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}
    )
    await api.create(f"/apis/apps/v1/namespaces/{NS}/deployments", deployment())
    await api.create(f"/apis/flagger.app/v1beta1/namespaces/{NS}/canaries", body)
    await wait_for(lambda: _phase_is(api, "Initialized"))


async def _phase_is(api: Api, *wanted: str) -> bool:
    return await phase(api) in wanted


async def _hook_event(gates: GateServer, message: str) -> bool:
    return message in gates.event_messages()


async def _cluster_event(api: Api, message: str) -> bool:
    return message in [event["message"] for event in await api.canary_events(NS, "web")]


async def release(api: Api, version: str, annotations: dict[str, Any] | None = None) -> None:
    container = deployment(version)["spec"]["template"]["spec"]["containers"]
    patch: dict[str, Any] = {"spec": {"template": {"spec": {"containers": container}}}}
    if annotations:
        patch["metadata"] = {"annotations": annotations}
    await api.patch(TARGET, patch)


async def test_good_release_progresses_through_weights_to_succeeded(
    api: Api, gates: GateServer
) -> None:
    await initialised(api, canary([hook(gates, "event")]))
    primary = await api.get(PRIMARY)
    assert primary["spec"]["selector"] == {"matchLabels": {"app": "web-app-primary"}}
    assert (await api.get(TARGET))["spec"]["replicas"] == 0
    await release(api, "1.1.0")
    await wait_for(lambda: _hook_event(gates, "Promotion completed! Scaling down web-app.shop"))
    assert await phase(api) == "Succeeded"
    assert gates.event_messages() == [
        "Initialization done! web.shop",
        "New revision detected! Scaling up web-app.shop",
        "Starting canary analysis for web-app.shop",
        "Advance web.shop canary weight 25",
        "Advance web.shop canary weight 50",
        "Copying web-app.shop template spec to web-app-primary.shop",
        "Routing all traffic to primary",
        "Promotion completed! Scaling down web-app.shop",
    ]
    primary = await api.get(PRIMARY)
    image = primary["spec"]["template"]["spec"]["containers"][0]["image"]
    assert image == "registry.local/web:1.1.0"
    assert (await api.get(TARGET))["spec"]["replicas"] == 0
    status = (await api.get(CANARY))["status"]
    assert (status["canaryWeight"], status["failedChecks"]) == (0, 0)
    assert status["lastPromotedSpec"] == status["lastAppliedSpec"]
    assert status["conditions"][0]["type"] == "Promoted"
    assert (status["conditions"][0]["status"], status["conditions"][0]["reason"]) == (
        "True",
        "Succeeded",
    )
    events = await api.canary_events(NS, "web")
    assert {event["reason"] for event in events} == {"Synced"}
    assert {event["source"]["component"] for event in events} == {"flagger"}
    assert "Advance web.shop canary weight 50" in [event["message"] for event in events]


async def test_bad_release_rolls_back_to_failed_with_flagger_events(
    api: Api, gates: GateServer
) -> None:
    await initialised(api, canary([hook(gates, "event"), hook(gates, "post-rollout")]))
    bad = {FAILURE_RATE: "1", "devcluster.infra-fleet.io/success-rate": "87.5"}
    await release(api, "2.0.0", bad)
    await wait_for(lambda: _hook_event(gates, "Post-rollout check gate-post-rollout passed"))
    assert await phase(api) == "Failed"
    assert gates.event_messages()[1:] == [
        "New revision detected! Scaling up web-app.shop",
        "Starting canary analysis for web-app.shop",
        "Advance web.shop canary weight 25",
        "Halt web.shop advancement success rate 87.50% < 99%",
        "Halt web.shop advancement success rate 87.50% < 99%",
        "Rolling back web.shop failed checks threshold reached 2",
        "Canary failed! Scaling down web.shop",
        "Post-rollout check gate-post-rollout passed",
    ]
    warnings = [
        event["message"]
        for event in await api.canary_events(NS, "web")
        if event["type"] == "Warning"
    ]
    assert sorted(set(warnings)) == [
        "Canary failed! Scaling down web.shop",
        "Halt web.shop advancement success rate 87.50% < 99%",
        "Rolling back web.shop failed checks threshold reached 2",
    ]
    post = gates.calls_to("/post-rollout")
    assert [call.payload["phase"] for call in post] == ["Failed"]
    primary = await api.get(PRIMARY)
    assert primary["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":1.0.0")
    assert (await api.get(TARGET))["spec"]["replicas"] == 0
    status = (await api.get(CANARY))["status"]
    assert (status["canaryWeight"], status["conditions"][0]["status"]) == (0, "False")


async def test_closed_confirm_rollout_gate_holds_canary_in_waiting(
    api: Api, gates: GateServer
) -> None:
    gates.answer("/confirm-rollout", 403, "release frozen")
    await initialised(api, canary([hook(gates, "confirm-rollout")]))
    await release(api, "1.1.0")
    await wait_for(lambda: _phase_is(api, "Waiting"))
    calls_then = len(gates.calls_to("/confirm-rollout"))
    await wait_for(lambda: _more_calls(gates, "/confirm-rollout", calls_then + 3))
    assert await phase(api) == "Waiting"
    messages = [event["message"] for event in await api.canary_events(NS, "web")]
    assert "Halt web.shop advancement waiting for approval gate-confirm-rollout" in messages
    assert (await api.get(TARGET))["spec"]["replicas"] == 0
    gates.answer("/confirm-rollout", 200)
    await wait_for(lambda: _phase_is(api, "Succeeded"))


async def _more_calls(gates: GateServer, path: str, count: int) -> bool:
    return len(gates.calls_to(path)) >= count


async def test_passing_rollback_hook_rolls_back_manually(api: Api, gates: GateServer) -> None:
    gates.answer("/rollback", 403)
    gates.answer("/confirm-promotion", 403)
    webhooks = [hook(gates, "rollback"), hook(gates, "confirm-promotion")]
    await initialised(api, canary(webhooks))
    await release(api, "1.1.0")
    await wait_for(lambda: _phase_is(api, "WaitingPromotion"))
    status = (await api.get(CANARY))["status"]
    assert (status["canaryWeight"], status["iterations"]) == (0, -1)
    gates.answer("/rollback", 200)
    await wait_for(lambda: _cluster_event(api, "Canary failed! Scaling down web.shop"))
    assert await phase(api) == "Failed"
    messages = [event["message"] for event in await api.canary_events(NS, "web")]
    assert "Rolling back web.shop manual webhook invoked" in messages
    assert "Rollback check gate-rollback passed" in messages
    assert gates.calls_to("/rollback")[-1].payload["phase"] == "WaitingPromotion"


async def test_suspend_stops_progress_until_resumed(api: Api, gates: GateServer) -> None:
    gates.answer("/confirm-traffic-increase", 403)
    webhooks = [hook(gates, "confirm-traffic-increase"), hook(gates, "rollout")]
    await initialised(api, canary(webhooks))
    await release(api, "1.1.0")
    await wait_for(lambda: _more_calls(gates, "/confirm-traffic-increase", 1))
    await api.patch(CANARY, {"spec": {"suspend": True}})
    await wait_for(lambda: _skipped_times(api, 3))
    frozen = (await api.get(CANARY))["status"]
    calls_frozen = len(gates.calls)
    await wait_for(lambda: _skipped_times(api, 6))
    assert (await api.get(CANARY))["status"] == frozen
    assert len(gates.calls) == calls_frozen
    gates.answer("/confirm-traffic-increase", 200)
    await api.patch(CANARY, {"spec": {"suspend": False}})
    await wait_for(lambda: _phase_is(api, "Succeeded"))


async def _skipped_times(api: Api, count: int) -> bool:
    for event in await api.canary_events(NS, "web"):
        if event["message"] == "skipping canary run as object is suspended":
            return int(event["count"]) >= count
    return False


async def test_webhook_payloads_are_exactly_flaggers(api: Api, gates: GateServer) -> None:
    metadata = {"token": "s3cret"}
    webhooks = [hook(gates, "confirm-rollout", metadata=metadata), hook(gates, "event")]
    await initialised(api, canary(webhooks))
    before = (await api.get(CANARY))["status"]["lastAppliedSpec"]
    await release(api, "1.1.0")
    await wait_for(lambda: _phase_is(api, "Succeeded"))
    after = (await api.get(CANARY))["status"]["lastAppliedSpec"]
    rollout_call = gates.calls_to("/confirm-rollout")[0]
    assert rollout_call.content_type == "application/json"
    assert rollout_call.authorization is None
    assert rollout_call.payload == {
        "name": "web",
        "namespace": NS,
        "phase": "Initialized",
        "checksum": run_checksum(last_applied_spec=before, tracked_configs=None),
        "metadata": {"token": "s3cret"},
    }
    events = gates.calls_to("/event")
    advance = next(c for c in events if c.payload["metadata"]["eventMessage"].startswith("Adv"))
    assert set(advance.payload) == {"name", "namespace", "phase", "checksum", "metadata"}
    assert advance.payload["phase"] == "Progressing"
    assert advance.payload["checksum"] == run_checksum(
        last_applied_spec=after, tracked_configs=None
    )
    meta = advance.payload["metadata"]
    assert set(meta) == {"eventMessage", "eventType", "timestamp"}
    assert meta["eventType"] == "Normal"
    assert meta["timestamp"].isdigit()
    assert len(meta["timestamp"]) == 13


async def test_hook_without_metadata_omits_the_key(api: Api, gates: GateServer) -> None:
    await initialised(api, canary([hook(gates, "pre-rollout")]))
    await release(api, "1.1.0")
    await wait_for(lambda: _more_calls(gates, "/pre-rollout", 1))
    assert set(gates.calls_to("/pre-rollout")[0].payload) == {
        "name",
        "namespace",
        "phase",
        "checksum",
    }


async def test_failing_gate_with_retries_is_retried_on_server_errors(
    api: Api, gates: GateServer
) -> None:
    gates.answer("/confirm-rollout", 503)
    await initialised(api, canary([hook(gates, "confirm-rollout", retries=2)]))
    await release(api, "1.1.0")
    await wait_for(lambda: _phase_is(api, "Waiting"))
    assert len(gates.calls_to("/confirm-rollout")) >= 3


async def test_unready_canary_rolls_back_after_its_progress_deadline(
    api: Api, gates: GateServer
) -> None:
    body = canary([hook(gates, "event")])
    body["spec"]["progressDeadlineSeconds"] = 60
    await initialised(api, body)
    await release(api, "1.1.0", {"devcluster.infra-fleet.io/ready": "false"})
    not_ready = (
        "canary deployment web-app.shop not ready: waiting for rollout to finish: "
        "0 of 2 (readyThreshold 100%) updated replicas are available"
    )
    # Flagger v1.44: the non-retriable readiness error, then `Canary failed!` (its `Rolling
    # back ... progress deadline exceeded` is unreachable).
    exceeded = (
        'canary deployment web-app.shop not ready: deployment "web-app" exceeded its progress'
        " deadline"
    )
    await wait_for(lambda: _hook_event(gates, "Canary failed! Scaling down web.shop"))
    messages = gates.event_messages()
    assert messages[1] == "New revision detected! Scaling up web-app.shop"
    assert set(messages[2:-2]) == {not_ready}
    assert messages[-2:] == [exceeded, "Canary failed! Scaling down web.shop"]
    assert await phase(api) == "Failed"


async def test_simulation_survives_an_api_server_restart(
    api: Api, gates: GateServer, cluster: DevCluster
) -> None:
    await initialised(api, canary([hook(gates, "event")]))
    await cluster.stop()
    await wait_for(lambda: _refused(cluster.url))
    await cluster.start()
    await release(api, "1.1.0")
    await wait_for(lambda: _hook_event(gates, "Promotion completed! Scaling down web-app.shop"))
    assert await phase(api) == "Succeeded"


async def _refused(url: str) -> bool:
    async with httpx.AsyncClient(base_url=url, timeout=1.0) as http:
        try:
            await http.get("/version")
        except httpx.TransportError:
            return True
    return False


async def test_canary_without_its_target_reports_the_missing_deployment(api: Api) -> None:
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}}
    await api.create("/api/v1/namespaces", namespace)
    await api.create(f"/apis/flagger.app/v1beta1/namespaces/{NS}/canaries", canary([]))
    message = 'deployment web-app.shop get query error: deployments.apps "web-app" not found'
    await wait_for(lambda: _cluster_event(api, message))
    events = [e for e in await api.canary_events(NS, "web") if e["message"] == message]
    assert [e["type"] for e in events] == ["Warning"]
    assert await phase(api) == ""


async def test_a_primary_that_never_gets_ready_fails_the_promotion_onto_the_canary(
    api: Api, gates: GateServer
) -> None:
    """Issue 10.2: the target's primary-ready=false signal breaks the primary's copy."""
    body = canary([hook(gates, "event")])
    body["spec"]["progressDeadlineSeconds"] = 30
    await initialised(api, body)
    await release(api, "1.1.0", {"devcluster.infra-fleet.io/primary-ready": "false"})
    await wait_for(lambda: _phase_is(api, "Failed"))
    status = (await api.get(CANARY))["status"]
    assert (status["phase"], status["canaryWeight"]) == ("Failed", 100)
    assert (await api.get(TARGET))["spec"]["replicas"] == 2
    primary = await api.get(PRIMARY)
    assert primary["metadata"]["annotations"]["devcluster.infra-fleet.io/ready"] == "false"
    failed = (
        "Promotion of web-app.shop failed, primary not ready: primary deployment "
        'web-app-primary.shop not ready: deployment "web-app-primary" exceeded its progress '
        "deadline"
    )
    # the status write comes before the tick's events: wait for the event webhook's call
    await wait_for(lambda: _hook_event(gates, failed))
    assert [m for m in gates.event_messages() if m.startswith("Promotion of")] == [failed]
