"""The demo's release train and load wave: what makes the demo fleet move on its own.

Every few (scaled) minutes the next idle service gets a new image tag; every third release is
"bad" (its target carries a failure rate, so Flagger's analysis fails and rolls back). Each HPA's
load annotation follows a slow sine wave so replicas rise and fall.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from devcluster.scenarios import DemoService, container_for
from devcluster.simulation import signal_annotations as signals
from devcluster.simulation.api_client import CANARIES, DEPLOYMENTS, HPAS, ApiError, KubeApi
from devcluster.simulation.loop_failures import report_failure

RELEASE_SECONDS = 240.0
LOAD_SECONDS = 30.0
LOAD_PERIOD_SECONDS = 1200.0
IDLE_PHASES = ("Initialized", "Succeeded", "Failed")
BAD_FAILURE_RATE = "0.9"
BAD_SUCCESS_RATE = "91.30"


def next_version(*, image: str) -> str:
    """The image's tag with its patch number bumped (`x:1.4.0` -> `1.4.1`)."""
    tag = image.rsplit(":", 1)[-1]
    major, minor, patch = ([*tag.split("."), "0", "0", "0"])[:3]
    return f"{major}.{minor}.{int(patch) + 1}"


def is_bad_release(*, number: int) -> bool:
    """Every third release of the train fails its analysis."""
    return number % 3 == 2


def release_patch(*, service: DemoService, version: str, bad: bool) -> dict[str, Any]:
    """The merge-patch a CI pipeline's deploy step would make to the target Deployment."""
    failure = {signals.FAILURE_RATE: BAD_FAILURE_RATE, signals.SUCCESS_RATE: BAD_SUCCESS_RATE}
    annotations = failure if bad else dict.fromkeys(failure)
    template_spec = {"containers": [container_for(service=service, version=version)]}
    return {
        "metadata": {"annotations": annotations},
        "spec": {"template": {"spec": template_spec}},
    }


def load_at(*, seconds: float, index: int, base: float) -> float:
    """The load ratio of the `index`-th HPA at simulated time `seconds`."""
    phase = 2 * math.pi * seconds / LOAD_PERIOD_SECONDS + index * 1.3
    return round(min(1.5, max(0.05, base + 0.35 * math.sin(phase))), 2)


@dataclass
class ReleaseDriver:
    """Runs the release train and the load wave until cancelled."""

    api: KubeApi
    time_scale: float
    services: Sequence[DemoService]
    released: int = 0

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(self._releases(), name="demo:releases")
            group.create_task(self._load_wave(), name="demo:load-wave")

    async def _releases(self) -> None:
        while True:
            await asyncio.sleep(RELEASE_SECONDS / self.time_scale)
            try:
                await self.release_next()
            except Exception as error:  # the API being down must not end the demo
                report_failure(event="demo.release_failed", error=error)

    async def release_next(self) -> DemoService | None:
        """Release the next idle service; None when every canary is busy."""
        for offset in range(len(self.services)):
            service = self.services[(self.released + offset) % len(self.services)]
            canary = await self.api.get(
                kind=CANARIES, namespace=service.namespace, name=service.name
            )
            if canary is not None and (canary.get("status") or {}).get("phase") in IDLE_PHASES:
                await self._release(service=service)
                return service
        return None

    async def _release(self, *, service: DemoService) -> None:
        target = await self.api.get(
            kind=DEPLOYMENTS, namespace=service.namespace, name=service.name
        )
        if target is None:
            return
        image = target["spec"]["template"]["spec"]["containers"][0]["image"]
        patch = release_patch(
            service=service,
            version=next_version(image=image),
            bad=is_bad_release(number=self.released),
        )
        self.released += 1
        await self.api.merge_patch(
            kind=DEPLOYMENTS, namespace=service.namespace, name=service.name, patch=patch
        )

    async def _load_wave(self) -> None:
        while True:
            await asyncio.sleep(LOAD_SECONDS / self.time_scale)
            seconds = asyncio.get_running_loop().time() * self.time_scale
            try:
                await self._set_loads(seconds=seconds)
            except Exception as error:  # the API being down must not end the demo
                report_failure(event="demo.load_failed", error=error)

    async def _set_loads(self, *, seconds: float) -> None:
        for index, service in enumerate(self.services):
            if service.hpa is not None:
                load = load_at(seconds=seconds, index=index, base=service.initial_load)
                await self._set_load(service=service, load=load)

    async def _set_load(self, *, service: DemoService, load: float) -> None:
        patch = {"metadata": {"annotations": {signals.LOAD: f"{load:.2f}"}}}
        for name in (service.name, f"{service.name}-primary"):
            try:
                await self.api.merge_patch(
                    kind=HPAS, namespace=service.namespace, name=name, patch=patch
                )
            except ApiError as error:
                if error.status_code != 404:
                    raise
