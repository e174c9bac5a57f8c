"""A minimal Deployment controller: pods and Deployment status follow `spec.replicas`.

Flagger and the HPA only change `spec.replicas` and templates; something must then make pods
and report ready replicas, or nothing downstream (the portal's views, the HPA's pod counts)
would ever move. This stands in for the ReplicaSet controller, scheduler and kubelet.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from devcluster.simulation.api_client import DEPLOYMENTS, NODES, PODS, KubeApi
from devcluster.simulation.event_recording import utc_now
from devcluster.simulation.hashing import safe_encode
from devcluster.simulation.loop_failures import report_failure
from devcluster.simulation.pod_planning import deployment_status, plan_pods

SYNC_SECONDS = 5.0
MIN_SYNC_SECONDS = 0.05
MAX_SYNC_SECONDS = 1.0


@dataclass
class DeploymentController:
    """Reconciles every Deployment's pods and status once per (scaled) sync period."""

    api: KubeApi
    time_scale: float
    rng: random.Random = field(default_factory=lambda: random.Random(0))  # noqa: S311

    @property
    def period(self) -> float:
        return min(MAX_SYNC_SECONDS, max(MIN_SYNC_SECONDS, SYNC_SECONDS / self.time_scale))

    async def run(self) -> None:
        while True:
            try:
                await self.sync_all()
            except Exception as error:  # keep reconciling after a failed pass
                report_failure(event="deployments.sync_failed", error=error)
            await asyncio.sleep(self.period)

    def suffix(self) -> str:
        return safe_encode(text="".join(chr(self.rng.randrange(256)) for _ in range(5)))

    async def sync_all(self) -> None:
        deployments = await self.api.list(kind=DEPLOYMENTS)
        pods = await self.api.list(kind=PODS)
        nodes = sorted(node["metadata"]["name"] for node in await self.api.list(kind=NODES))
        load = Counter(str(pod.get("spec", {}).get("nodeName", "")) for pod in pods)
        for deployment in deployments:
            await self.sync(deployment=deployment, pods=pods, nodes=nodes, load=load)

    async def sync(
        self,
        *,
        deployment: dict[str, Any],
        pods: list[dict[str, Any]],
        nodes: list[str],
        load: Counter[str],
    ) -> None:
        plan = plan_pods(
            deployment=deployment,
            pods=pods,
            nodes=nodes,
            load=load,
            suffix=self.suffix,
            now=utc_now(),
        )
        namespace = deployment["metadata"].get("namespace", "default")
        for name in plan.delete:
            await self.api.delete(kind=PODS, namespace=namespace, name=name)
        for pod in plan.create:
            await self._create_running(namespace=namespace, pod=pod)
        for name, pod_status in plan.restatus:
            await self.api.merge_patch(
                kind=PODS,
                namespace=namespace,
                name=name,
                patch={"status": pod_status},
                subresource="status",
            )
        status = deployment_status(deployment=deployment, replicas=plan.kept + len(plan.create))
        if _status_differs(old=deployment.get("status") or {}, new=status):
            await self.api.merge_patch(
                kind=DEPLOYMENTS,
                namespace=namespace,
                name=deployment["metadata"]["name"],
                patch={"status": _with_nulls(old=deployment.get("status") or {}, new=status)},
                subresource="status",
            )

    async def _create_running(self, *, namespace: str, pod: dict[str, Any]) -> None:
        created = await self.api.create(kind=PODS, namespace=namespace, body=pod)
        if created is not None and (created.get("status") or {}).get("phase") != "Running":
            await self.api.merge_patch(
                kind=PODS,
                namespace=namespace,
                name=pod["metadata"]["name"],
                patch={"status": pod["status"]},
                subresource="status",
            )


def _status_differs(*, old: dict[str, Any], new: dict[str, Any]) -> bool:
    counted = {"observedGeneration", "replicas", "updatedReplicas", "readyReplicas"}
    known = counted | {"availableReplicas", "unavailableReplicas", "conditions"}
    return {key: value for key, value in old.items() if key in known} != new


def _with_nulls(*, old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """A merge-patch body that also removes keys `new` no longer has."""
    return {**dict.fromkeys(old), **new}
