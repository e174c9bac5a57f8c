"""The composition root of the simulation: seed the scenario, then run every simulator.

`run_simulation` is what `devcluster serve` and the test harness start next to the API server.
It owns one HTTP client and a task group; cancelling it cancels and awaits every task it started.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from typing import Any

import httpx

from devcluster.flagger_metrics import FlaggerMetrics
from devcluster.fleet_scenarios import PROFILES
from devcluster.scenarios import scenario_objects
from devcluster.simulation.api_client import KubeApi, make_http_client
from devcluster.simulation.deployment_controller import DeploymentController
from devcluster.simulation.event_recording import EventRecorder
from devcluster.simulation.flagger_loop import FlaggerSimulator
from devcluster.simulation.flagger_workloads import WorkloadActions
from devcluster.simulation.hpa_loop import HpaSimulator
from devcluster.simulation.release_driver import ReleaseDriver
from devcluster.simulation.seeding import seed_objects
from devcluster.simulation.webhook_calls import WebhookCaller

API_TIMEOUT_SECONDS = 10.0
GATE_TOKEN_ENV = "DEVCLUSTER_GATE_TOKEN"  # noqa: S105 - the variable name, not a secret


async def run_simulation(
    *,
    api_url: str,
    token: str | None,
    scenario: str,
    time_scale: float,
    gate_base_url: str | None,
    mesh_provider: str = "istio",
    metrics: FlaggerMetrics | None = None,
    gate_token: str | None = None,
) -> None:
    """Seed `scenario` through the API at `api_url`, then simulate until cancelled.

    The demo canaries' webhooks carry `gate_token`, else `$DEVCLUSTER_GATE_TOKEN`."""
    if time_scale <= 0:
        raise ValueError("time_scale must be positive")
    objects = scenario_objects(
        scenario=scenario,
        gate_base_url=gate_base_url,
        gate_token=gate_token or os.environ.get(GATE_TOKEN_ENV),
    )
    async with make_http_client(api_url=api_url, token=token, timeout=API_TIMEOUT_SECONDS) as http:
        await seed_objects(
            api=KubeApi(http=http, field_manager="devcluster-scenario"), objects=objects
        )
        async with asyncio.TaskGroup() as group:
            for name, runner in _simulators(
                http=http,
                time_scale=time_scale,
                scenario=scenario,
                mesh_provider=mesh_provider,
                metrics=metrics,
            ):
                group.create_task(runner, name=f"devcluster-simulation:{name}")


def _simulators(
    *,
    http: httpx.AsyncClient,
    time_scale: float,
    scenario: str,
    mesh_provider: str,
    metrics: FlaggerMetrics | None,
) -> list[tuple[str, Coroutine[Any, Any, None]]]:
    flagger_api = KubeApi(http=http, field_manager="flagger")

    def simulated_seconds() -> float:
        """The correlator's clock runs at the controllers' pace (intervals are scaled)."""
        return asyncio.get_running_loop().time() * time_scale

    hpa_api = KubeApi(http=http, field_manager="horizontal-pod-autoscaler")
    flagger = FlaggerSimulator(
        api=flagger_api,
        recorder=EventRecorder(api=flagger_api, component="flagger", clock=simulated_seconds),
        caller=WebhookCaller(http=http, time_scale=time_scale),
        workloads=WorkloadActions(api=flagger_api),
        time_scale=time_scale,
        mesh_provider=mesh_provider,
        metrics=metrics,
    )
    hpas = HpaSimulator(
        api=hpa_api,
        recorder=EventRecorder(
            api=hpa_api, component="horizontal-pod-autoscaler", clock=simulated_seconds
        ),
        time_scale=time_scale,
    )
    deployments = DeploymentController(
        api=KubeApi(http=http, field_manager="kube-controller-manager"), time_scale=time_scale
    )
    runners = [
        ("flagger", flagger.run()),
        ("hpa", hpas.run()),
        ("deployments", deployments.run()),
    ]
    profile = PROFILES.get(scenario)
    if profile is not None:
        driver = ReleaseDriver(
            api=KubeApi(http=http, field_manager="demo-release-train"),
            time_scale=time_scale,
            services=profile.services,
            release_seconds=profile.release_seconds,
            first_release_seconds=profile.first_release_seconds,
            bad_every=profile.bad_every,
        )
        runners.append(("releases", driver.run()))
    return runners
