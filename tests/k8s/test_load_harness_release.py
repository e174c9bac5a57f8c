"""The load-harness app from k8s/ runs in devcluster's Flagger and HPA simulation: applied as
built (staging overlay, Flux's token substitution), a new image tag is released through
Progressing to Succeeded with a real portal as its gate service (it knows only the hash of the
cluster's Flagger token, as in production), and the primary's HPA scales by its behavior policies.

The only change made to the built manifests: the in-cluster hosts of the portal and of Flagger's
load tester become 127.0.0.1 servers (the portal itself; a recorder answering 200 for the
load tester)."""

from __future__ import annotations

import asyncio
import functools
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route

from devcluster.harness import DevCluster, serve_devcluster
from portal.config import Settings
from portal.security.roles import Role
from tests.integration.devcluster_simulation.support import GateServer, server_started, wait_for
from tests.k8s.applying import Kubectl, apply_checked
from tests.k8s.tree import K8S, Obj, built, kustomize, objects, set_image_tag, substitute
from tests.support import databases
from tests.support.apps import RunningApp, running_app, signed_in
from tests.support.flagger_callers import flagger_tokens
from tests.support.servers import serve_app
from tests.support.waiting import wait_until

TIME_SCALE = 120.0  # a 1m analysis interval ticks every 0.5 s
# A release is about ten ticks; on a loaded two-core machine one tick can take seconds.
WITHIN = 90.0
TOKEN = "ifp-flagger-token-for-tests-0123456789abcdef"
PORTAL = "http://portal.portal.svc.cluster.local:8000"
LOADTESTER = "http://flagger-loadtester.flagger-system"
IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/infra-fleet/load-harness"
CANARY = "/apis/flagger.app/v1beta1/namespaces/load-harness/canaries/load-harness"
PRIMARY = "/apis/apps/v1/namespaces/load-harness/deployments/load-harness-primary"
PRIMARY_HPA = (
    "/apis/autoscaling/v2/namespaces/load-harness/horizontalpodautoscalers/load-harness-primary"
)


@pytest.fixture
async def recorder() -> AsyncIterator[GateServer]:
    gate = GateServer()
    app = Starlette(routes=[Route("/{path:path}", gate.handle, methods=["POST"])])
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    gate.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off", ws="none")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name="k8s-recorder")
    try:
        await wait_for(lambda: server_started(server), within=10.0)
        yield gate
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.fixture
async def cluster() -> AsyncIterator[DevCluster]:
    async with serve_devcluster(scenario="empty", time_scale=TIME_SCALE, simulate=True) as c:
        yield c


@pytest.fixture
async def portal(
    cluster: DevCluster, sqlite_template: Path, tmp_path: Path
) -> AsyncIterator[tuple[RunningApp, str]]:
    """The portal watching the devcluster (context `devcluster`), with only the token's hash."""
    settings = Settings(
        database_url=databases.clone_sqlite_database(sqlite_template, tmp_path),
        kubeconfig=cluster.kubeconfig,
        log_format="console",
        flagger_tokens=flagger_tokens("devcluster", TOKEN),
        mesh_providers={"*": "nginx"},
        watch_kinds=["canaries", "deployments"],
        # Simulated time runs TIME_SCALE times faster: so may Flagger's calls per real minute.
        rate_limit_webhooks=f"{600 * int(TIME_SCALE)}/minute",
    )
    async with running_app(settings) as running:
        view = running.app.state.portal.view
        await wait_until(lambda: view.unready_clusters() == {}, what="first lists")
        async with serve_app(running.app, lifespan="off") as url:
            yield running, url


def load_harness_app(*, portal_url: str, recorder_url: str, k8s: Path = K8S) -> list[Obj]:
    """The load-harness namespace (infrastructure/configs) and its objects (apps/staging)."""
    text = substitute(kustomize(k8s / "apps/staging"), {"FLAGGER_PORTAL_TOKEN": TOKEN})
    text = text.replace(PORTAL, portal_url).replace(LOADTESTER, f"{recorder_url}/lt")
    namespace = [
        o
        for o in objects(built("infrastructure/configs"))
        if o["kind"] == "Namespace" and o["metadata"]["name"] == "load-harness"
    ]
    return namespace + [
        o for o in objects(text) if o["metadata"].get("namespace") == "load-harness"
    ]


async def _get(http: httpx.AsyncClient, path: str) -> Obj | None:
    response = await http.get(path)
    return response.json() if response.status_code == 200 else None


async def _phase(http: httpx.AsyncClient) -> str | None:
    canary = await _get(http, CANARY)
    return (canary or {}).get("status", {}).get("phase")


async def test_a_new_image_tag_is_released_and_the_primary_hpa_scales(
    cluster: DevCluster,
    recorder: GateServer,
    portal: tuple[RunningApp, str],
    tmp_path: Path,
) -> None:
    running, portal_url = portal
    kubectl = Kubectl(kubeconfig=cluster.kubeconfig, cache=tmp_path / "kube-cache")
    app = functools.partial(load_harness_app, portal_url=portal_url, recorder_url=recorder.url)
    async with httpx.AsyncClient(base_url=cluster.url, timeout=10.0) as http:
        await apply_checked(kubectl, app())

        async def initialized() -> bool:
            return await _phase(http) == "Initialized"

        await wait_for(initialized, within=WITHIN)
        primary = await _get(http, PRIMARY)
        assert primary is not None
        assert primary["spec"]["template"]["spec"]["containers"][0]["image"] == f"{IMAGE}:v0.1.0"

        seen: list[str] = []

        async def released() -> bool:
            phase = await _phase(http)
            if phase and (not seen or seen[-1] != phase):
                seen.append(phase)
            return phase == "Succeeded"

        # What image automation commits for a new version tag in ECR, then Flux applies.
        await apply_checked(
            kubectl, app(k8s=set_image_tag(tmp_path, policy="load-harness", tag="v0.2.0"))
        )
        try:
            await wait_for(released, within=WITHIN)
        except AssertionError as slow:
            status = ((await _get(http, CANARY)) or {}).get("status")
            raise AssertionError(f"phases seen {seen}, canary status {status}") from slow
        assert seen[0] == "Initialized"
        assert "Progressing" in seen
        assert seen.index("Progressing") < seen.index("Succeeded") == len(seen) - 1
        primary = await _get(http, PRIMARY)
        assert primary is not None
        assert primary["spec"]["template"]["spec"]["containers"][0]["image"] == f"{IMAGE}:v0.2.0"

        async with signed_in(running, Role.viewer) as viewer:
            gates = (await viewer.get("/api/v1/gates/devcluster/load-harness/load-harness")).json()
        assert {call["gate"] for call in gates["calls"]} == {
            "confirm-rollout",
            "confirm-traffic-increase",
            "confirm-promotion",
            "rollback",
            "event",
        }
        assert {(c.payload["name"], c.payload["namespace"]) for c in recorder.calls} == {
            ("load-harness", "load-harness")
        }
        load_tests = recorder.calls_to("/lt/")
        assert load_tests
        assert (
            load_tests[0]
            .payload["metadata"]["cmd"]
            .startswith("hey -z 1m -q 10 -c 2 -host load-harness.staging.infra-fleet.example.com ")
        )

        # 200 % CPU at one replica against a 50 % target: ceil(1 * 200 / 50) = 4 replicas, within
        # the scale-up limit (max of +100 % and +4 pods per 15 s), and 4 replicas then sit at 50 %.
        annotate = {"metadata": {"annotations": {"devcluster.infra-fleet.io/load": "2.0"}}}
        response = await http.patch(
            PRIMARY_HPA, json=annotate, headers={"Content-Type": "application/merge-patch+json"}
        )
        assert response.status_code == 200, response.text

        async def scaled() -> Obj | None:
            hpa = await _get(http, PRIMARY_HPA)
            status = (hpa or {}).get("status", {})
            return hpa if status.get("currentReplicas") == 4 else None

        hpa = await wait_for(scaled, within=WITHIN)
        assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (1, 8)
        assert hpa["status"]["desiredReplicas"] == 4
        primary = await _get(http, PRIMARY)
        assert primary is not None
        assert primary["spec"]["replicas"] == 4
