"""The HPA simulator's I/O loop: every sync period, scale each HPA's target from its load signal.

Reads `devcluster.infra-fleet.io/load` on the HPA (the CPU utilisation ratio the workload shows
at minReplicas, so demand spreads over replicas and the loop converges), decides with
`hpa_maths`, patches the target Deployment's replicas, writes the HPA status and records
`SuccessfulRescale` events, as the kube-controller-manager's HPA controller does.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from devcluster.simulation import signal_annotations as signals
from devcluster.simulation.api_client import DEPLOYMENTS, HPAS, KubeApi
from devcluster.simulation.event_recording import EventRecorder, utc_now
from devcluster.simulation.hpa_maths import (
    HpaInputs,
    Recommendation,
    ScaleDecision,
    ScaleEvent,
    decide_scale,
)
from devcluster.simulation.hpa_status import SyncResult, active_status, disabled_status
from devcluster.simulation.hpa_status import rescale_message as make_rescale_message
from devcluster.simulation.loop_failures import report_failure
from devcluster.simulation.resource_quantities import cpu_millicores

SYNC_PERIOD_SECONDS = 15.0
DEFAULT_TARGET_UTILISATION = 80.0


@dataclass
class HpaMemory:
    """What the controller keeps between syncs for one HPA (recommendations, rescales)."""

    history: tuple[Recommendation, ...] = ()
    events: tuple[ScaleEvent, ...] = ()


def cpu_target(*, hpa: dict[str, Any]) -> float:
    """The averageUtilization target of the HPA's cpu Resource metric (default 80)."""
    for metric in hpa["spec"].get("metrics") or ():
        resource = metric.get("resource") or {}
        if metric.get("type") == "Resource" and resource.get("name") == "cpu":
            return float(resource.get("target", {}).get("averageUtilization", 80))
    return DEFAULT_TARGET_UTILISATION


def utilisation_percent(*, hpa: dict[str, Any], current: int) -> float:
    """Current CPU utilisation: demand (load at minReplicas) spread over current replicas.

    Without a load annotation the workload sits exactly at its target, so nothing moves.
    """
    found = hpa["metadata"].get("annotations") or {}
    load = signals.read_optional(annotations=found, key=signals.LOAD)
    if load is None:
        return cpu_target(hpa=hpa)
    minimum = int(hpa["spec"].get("minReplicas", 1))
    return load * 100 * minimum / max(current, 1)


def request_millicores(*, deployment: dict[str, Any]) -> int | None:
    """CPU requested per pod by the Deployment's template, in millicores."""
    containers = deployment["spec"]["template"]["spec"].get("containers") or ()
    requests = [(c.get("resources") or {}).get("requests", {}).get("cpu") for c in containers]
    known = [cpu_millicores(quantity=str(value)) for value in requests if value is not None]
    return sum(known) if known else None


@dataclass
class HpaSimulator:
    """Syncs every HPA once per (scaled) sync period until cancelled."""

    api: KubeApi
    recorder: EventRecorder
    time_scale: float
    memory: dict[str, HpaMemory] = field(default_factory=dict)

    async def run(self) -> None:
        while True:
            await asyncio.sleep(SYNC_PERIOD_SECONDS / self.time_scale)
            try:
                hpas = await self.api.list(kind=HPAS)
            except Exception as error:  # the API being down must not end the simulation
                report_failure(event="hpa.list_failed", error=error)
                continue
            for hpa in hpas:
                try:
                    await self.sync(hpa=hpa)
                except Exception as error:  # one broken HPA must not stop the others
                    report_failure(
                        event="hpa.sync_failed", error=error, hpa=hpa["metadata"]["name"]
                    )

    def simulated_now(self) -> float:
        return asyncio.get_running_loop().time() * self.time_scale

    async def sync(self, *, hpa: dict[str, Any]) -> None:
        metadata = hpa["metadata"]
        namespace, key = metadata.get("namespace", "default"), metadata["name"]
        target_name = hpa["spec"]["scaleTargetRef"]["name"]
        target = await self.api.get(kind=DEPLOYMENTS, namespace=namespace, name=target_name)
        if target is None:
            return
        current = int(target["spec"].get("replicas", 1))
        if current == 0:
            status = disabled_status(previous=hpa.get("status") or {}, now=utc_now())
            await self._write_status(hpa=hpa, status=status)
            return
        await self._scale(hpa=hpa, target=target, current=current, key=f"{key}.{namespace}")

    async def _scale(
        self, *, hpa: dict[str, Any], target: dict[str, Any], current: int, key: str
    ) -> None:
        utilisation = utilisation_percent(hpa=hpa, current=current)
        decision = self._decide(hpa=hpa, current=current, utilisation=utilisation, key=key)
        previous, now = hpa.get("status") or {}, utc_now()
        rescaled = decision.desired != current
        if rescaled:
            await self.api.merge_patch(
                kind=DEPLOYMENTS,
                namespace=target["metadata"].get("namespace", "default"),
                name=target["metadata"]["name"],
                patch={"spec": {"replicas": decision.desired}},
            )
        millicores = request_millicores(deployment=target)
        result = SyncResult(
            current=current,
            desired=decision.desired,
            utilisation_percent=round(utilisation),
            average_millicores=round(millicores * utilisation / 100) if millicores else None,
            decision=decision,
            now=now,
            last_scale_time=now if rescaled else previous.get("lastScaleTime"),
        )
        await self._write_status(hpa=hpa, status=active_status(previous=previous, result=result))
        if rescaled:
            message = make_rescale_message(current=current, desired=decision.desired)
            await self.recorder.record(
                involved=hpa, reason="SuccessfulRescale", message=message, warning=False
            )

    def _decide(
        self, *, hpa: dict[str, Any], current: int, utilisation: float, key: str
    ) -> ScaleDecision:
        memory = self.memory.setdefault(key, HpaMemory())
        decision = decide_scale(
            given=HpaInputs(
                current=current,
                utilisation=utilisation,
                target=cpu_target(hpa=hpa),
                minimum=int(hpa["spec"].get("minReplicas", 1)),
                maximum=int(hpa["spec"]["maxReplicas"]),
                behavior=hpa["spec"].get("behavior"),
                now=self.simulated_now(),
                history=memory.history,
                events=memory.events,
            )
        )
        memory.history, memory.events = decision.recommendations, decision.events
        return decision

    async def _write_status(self, *, hpa: dict[str, Any], status: dict[str, Any]) -> None:
        status["observedGeneration"] = hpa["metadata"].get("generation", 1)
        if _same_status(old=hpa.get("status") or {}, new=status):
            return
        await self.api.merge_patch(
            kind=HPAS,
            namespace=hpa["metadata"].get("namespace", "default"),
            name=hpa["metadata"]["name"],
            patch={"status": status},
            subresource="status",
        )


def _same_status(*, old: dict[str, Any], new: dict[str, Any]) -> bool:
    return all(old.get(key) == value for key, value in new.items())
