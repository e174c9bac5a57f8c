"""What Flagger does to workloads during a tick: create, scale and promote the primary.

The decision code only names actions; this module carries them out through the API as the
`flagger` field manager, exactly as Flagger's canary controller would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from devcluster.simulation import signal_annotations as signals
from devcluster.simulation.api_client import DEPLOYMENTS, HPAS, KubeApi
from devcluster.simulation.canary_model import Canary
from devcluster.simulation.canary_ticks import Action
from devcluster.simulation.primary_objects import (
    primary_deployment,
    primary_hpa,
    promotion_patch,
)


@dataclass(frozen=True)
class WorkloadActions:
    """Carries out a tick's actions for one canary."""

    api: KubeApi

    async def apply(
        self, *, action: Action, canary: Canary, canary_obj: dict[str, Any], target: dict[str, Any]
    ) -> None:
        if action is Action.INITIALISE_PRIMARY:
            await self._initialise(canary=canary, canary_obj=canary_obj, target=target)
        elif action is Action.SCALE_UP_TARGET:
            await self._scale_target(canary=canary, replicas=await self._primary_replicas(canary))
        elif action is Action.SCALE_DOWN_TARGET:
            await self._scale_target(canary=canary, replicas=0)
        else:
            await self.api.merge_patch(
                kind=DEPLOYMENTS,
                namespace=canary.namespace,
                name=f"{canary.target_name}-primary",
                patch=promotion_patch(target=target) | _primary_readiness_patch(target=target),
            )

    async def _initialise(
        self, *, canary: Canary, canary_obj: dict[str, Any], target: dict[str, Any]
    ) -> None:
        primary = primary_deployment(target=target, canary=canary_obj)
        await self.api.create(kind=DEPLOYMENTS, namespace=canary.namespace, body=primary)
        if canary.autoscaler_name:
            hpa = await self.api.get(
                kind=HPAS, namespace=canary.namespace, name=canary.autoscaler_name
            )
            if hpa is not None:
                body = primary_hpa(
                    hpa=hpa, primary_name=primary["metadata"]["name"], canary=canary_obj
                )
                await self.api.create(kind=HPAS, namespace=canary.namespace, body=body)
        await self._scale_target(canary=canary, replicas=0)

    async def _primary_replicas(self, canary: Canary) -> int:
        primary = await self.api.get(
            kind=DEPLOYMENTS, namespace=canary.namespace, name=f"{canary.target_name}-primary"
        )
        replicas = int(primary["spec"].get("replicas", 1)) if primary else 1
        return max(replicas, 1)

    async def _scale_target(self, *, canary: Canary, replicas: int) -> None:
        await self.api.merge_patch(
            kind=DEPLOYMENTS,
            namespace=canary.namespace,
            name=canary.target_name,
            patch={"spec": {"replicas": replicas}},
        )


def _primary_readiness_patch(*, target: dict[str, Any]) -> dict[str, Any]:
    """The primary runs the promoted revision: unready when the target says its copy breaks."""
    annotations = target["metadata"].get("annotations") or {}
    breaks = annotations.get(signals.PRIMARY_READY) == "false"
    return {"metadata": {"annotations": {signals.READY: "false" if breaks else None}}}
