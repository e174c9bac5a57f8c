"""The demo's release train and load wave: what makes the demo fleet move on its own.

At start, services with an `opening` release get it at once (a failed promotion, a canary that
never gets ready). Then every few (scaled) minutes the next idle service gets a new image tag;
every third release is "bad" (its target carries a failure rate, so Flagger's analysis fails and
rolls back). A canary left in a failed promotion (Failed, canaryWeight 100) is skipped, so the
demo keeps showing it. Each HPA's load annotation follows a slow sine wave so replicas rise and
fall.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
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


def is_bad_release(*, number: int, every: int = 3) -> bool:
    """Every `every`-th release of the train fails its analysis (every third by default)."""
    return number % every == every - 1


OPENING_SIGNALS = {
    "primary-breaks": {signals.PRIMARY_READY: "false"},
    "never-ready": {signals.READY: "false"},
}


def release_patch(
    *, service: DemoService, version: str, bad: bool, opening: str = ""
) -> dict[str, Any]:
    """The merge-patch a CI pipeline's deploy step would make to the target Deployment."""
    failure = {signals.FAILURE_RATE: BAD_FAILURE_RATE, signals.SUCCESS_RATE: BAD_SUCCESS_RATE}
    annotations: dict[str, str | None] = dict.fromkeys(
        (*failure, signals.PRIMARY_READY, signals.READY)
    )
    if bad:
        annotations |= failure
    annotations |= OPENING_SIGNALS.get(opening, {})
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
    release_seconds: float = RELEASE_SECONDS
    first_release_seconds: float = RELEASE_SECONDS
    bad_every: int = 3
    released: int = 0
    opened: set[str] = field(default_factory=set)
    """Services whose opening release was made (the train leaves the others alone till then)."""

    async def run(self) -> None:
        async with asyncio.TaskGroup() as group:
            group.create_task(self._openings(), name="demo:openings")
            group.create_task(self._releases(), name="demo:releases")
            group.create_task(self._load_wave(), name="demo:load-wave")

    async def _releases(self) -> None:
        delay = self.first_release_seconds
        while True:
            await asyncio.sleep(delay / self.time_scale)
            delay = self.release_seconds
            try:
                await self.release_next()
            except Exception as error:  # the API being down must not end the demo
                report_failure(event="demo.release_failed", error=error)

    async def _openings(self) -> None:
        """Each opening release as soon as its canary is initialised."""
        waiting = [service for service in self.services if service.opening]
        while waiting:
            for service in list(waiting):
                try:
                    if await self._phase(service) == "Initialized":
                        await self._release(service=service, opening=service.opening)
                        waiting.remove(service)
                        self.opened.add(service.name)
                except Exception as error:  # the API being down must not end the demo
                    report_failure(event="demo.opening_failed", error=error)
            await asyncio.sleep(max(0.05, LOAD_SECONDS / self.time_scale))

    async def _phase(self, service: DemoService) -> str:
        canary = await self.api.get(kind=CANARIES, namespace=service.namespace, name=service.name)
        return str(((canary or {}).get("status") or {}).get("phase", ""))

    async def release_next(self) -> DemoService | None:
        """Release the next idle service; None when every canary is busy."""
        for offset in range(len(self.services)):
            service = self.services[(self.released + offset) % len(self.services)]
            if service.opening and service.name not in self.opened:
                continue
            canary = await self.api.get(
                kind=CANARIES, namespace=service.namespace, name=service.name
            )
            status = (canary or {}).get("status") or {}
            failed_promotion = status.get("phase") == "Failed" and status.get("canaryWeight")
            if canary is not None and status.get("phase") in IDLE_PHASES and not failed_promotion:
                await self._release(service=service)
                return service
        return None

    async def _release(self, *, service: DemoService, opening: str = "") -> None:
        target = await self.api.get(
            kind=DEPLOYMENTS, namespace=service.namespace, name=service.name
        )
        if target is None:
            return
        image = target["spec"]["template"]["spec"]["containers"][0]["image"]
        patch = release_patch(
            service=service,
            version=next_version(image=image),
            bad=is_bad_release(number=self.released, every=self.bad_every) and not opening,
            opening=opening,
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
