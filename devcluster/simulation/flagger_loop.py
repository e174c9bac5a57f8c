"""The Flagger simulator's I/O loop: one task per canary, ticking every `analysis.interval`.

Canaries are discovered by listing `flagger.app/v1beta1` canaries across namespaces; each gets a
task that, once per interval divided by the time scale, reads the canary and its target, lets
`canary_decisions` decide (calling webhooks as it asks), then applies the workload actions, writes
status through `/status`, records Events and calls event and post-rollout webhooks.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from devcluster.flagger_metrics import FlaggerMetrics
from devcluster.simulation import signal_annotations as signals
from devcluster.simulation.api_client import CANARIES, DEPLOYMENTS, KubeApi
from devcluster.simulation.canary_decisions import (
    ACTIVE_PHASES,
    decide_tick,
    recovered_routed_weight,
)
from devcluster.simulation.canary_model import MIN_INTERVAL_SECONDS, Canary, parse_canary
from devcluster.simulation.canary_ticks import (
    CanaryEvent,
    HookAnswer,
    HookCall,
    HookKey,
    Readiness,
    TickInput,
    TickOutcome,
)
from devcluster.simulation.event_recording import EventRecorder, utc_now
from devcluster.simulation.flagger_workloads import WorkloadActions
from devcluster.simulation.hashing import compute_hash, run_checksum
from devcluster.simulation.loop_failures import report_failure
from devcluster.simulation.metric_checks import MetricSignal, failure_mode, revision_rng
from devcluster.simulation.webhook_calls import (
    WebhookCaller,
    event_metadata,
    hook_payload,
    unix_ms_now,
)

DISCOVERY_SECONDS = 5.0


@dataclass
class CanaryMemory:
    """What Flagger keeps outside the Canary object: the routes and the metric draws."""

    routed_weight: int
    not_ready_since: float | None = None
    primary_not_ready_since: float | None = None
    revision: str = ""
    rng: random.Random = field(default_factory=lambda: revision_rng(revision=""))

    def draw(self, *, revision: str) -> float:
        if revision != self.revision:
            self.revision, self.rng = revision, revision_rng(revision=revision)
        return self.rng.random()


@dataclass
class FlaggerSimulator:
    """Discovers canaries and runs one ticking task per canary until cancelled."""

    api: KubeApi
    recorder: EventRecorder
    caller: WebhookCaller
    workloads: WorkloadActions
    time_scale: float
    mesh_provider: str = "istio"
    """Flagger's `-mesh-provider` flag (used when a canary's spec.provider is unset)."""
    metrics: FlaggerMetrics | None = None
    """Flagger's Prometheus recorder, served at the cluster's `/metrics`."""
    tasks: dict[tuple[str, str], asyncio.Task[None]] = field(default_factory=dict)

    async def run(self) -> None:
        if self.metrics is not None:
            self.metrics.set_info(mesh_provider=self.mesh_provider)
        try:
            while True:
                await self._discover()
                await asyncio.sleep(max(0.05, DISCOVERY_SECONDS / self.time_scale))
        finally:
            await _cancel_all(list(self.tasks.values()))

    async def _discover(self) -> None:
        try:
            found = await self.api.list(kind=CANARIES)
        except Exception as error:  # the API being down must not end the simulation
            report_failure(event="flagger.discover_failed", error=error)
            return
        keys = {(o["metadata"].get("namespace", "default"), o["metadata"]["name"]) for o in found}
        if self.metrics is not None:  # scheduleCanaries: SetTotal per namespace
            self.metrics.set_total(dict(Counter(namespace for namespace, _ in keys)))
        for namespace, name in keys:
            task = self.tasks.get((namespace, name))
            if task is None or task.done():
                coroutine = self._run_canary(namespace=namespace, name=name)
                self.tasks[(namespace, name)] = asyncio.create_task(
                    coroutine, name=f"flagger:{name}.{namespace}"
                )
        gone = [key for key in self.tasks if key not in keys]
        await _cancel_all([self.tasks.pop(key) for key in gone])

    async def _run_canary(self, *, namespace: str, name: str) -> None:
        memory: CanaryMemory | None = None
        interval = 0.0
        while True:
            await asyncio.sleep(interval / self.time_scale)
            try:
                obj = await self.api.get(kind=CANARIES, namespace=namespace, name=name)
                if obj is None:
                    return
                interval = parse_canary(obj=obj).analysis.interval_seconds
                memory = await self._tick(obj=obj, memory=memory)
            except Exception as error:  # a bad object or a failed request must not stop it
                report_failure(event="flagger.tick_failed", error=error, canary=name)
                interval = max(interval, MIN_INTERVAL_SECONDS)

    async def _tick(self, *, obj: dict[str, Any], memory: CanaryMemory | None) -> CanaryMemory:
        canary = parse_canary(obj=obj)
        namespace = canary.namespace
        if memory is None:
            memory = CanaryMemory(routed_weight=recovered_routed_weight(canary=canary))
        target = await self.api.get(kind=DEPLOYMENTS, namespace=namespace, name=canary.target_name)
        if target is None:
            await self._target_missing(canary=canary, obj=obj)
            return memory
        primary = await self.api.get(
            kind=DEPLOYMENTS, namespace=namespace, name=f"{canary.target_name}-primary"
        )
        began = time.monotonic()
        outcome = await self._decide(canary=canary, target=target, primary=primary, memory=memory)
        memory.routed_weight = outcome.routed_weight
        await self._apply(canary=canary, obj=obj, target=target, outcome=outcome)
        self._record(canary=canary, outcome=outcome, seconds=time.monotonic() - began)
        return memory

    def _record(self, *, canary: Canary, outcome: TickOutcome, seconds: float) -> None:
        """Flagger's recorder calls for one tick (scheduler.go, scheduler_metrics.go)."""
        if self.metrics is None:
            return
        labels = {"target": canary.target_name, "namespace": canary.namespace}
        phase = (outcome.status or {}).get("phase") or canary.status.phase
        self.metrics.set_status(**labels, phase=phase)
        self.metrics.set_weight(**labels, canary_weight=outcome.routed_weight)
        for metric, value in outcome.measured.items():
            self.metrics.set_analysis(**labels, metric=metric, value=value)
        if outcome.analysed:
            self.metrics.observe_duration(**labels, seconds=seconds)

    async def _decide(
        self,
        *,
        canary: Canary,
        target: dict[str, Any],
        primary: dict[str, Any] | None,
        memory: CanaryMemory,
    ) -> TickOutcome:
        target_hash = compute_hash(obj=target["spec"]["template"])
        found = target["metadata"].get("annotations") or {}
        signal = MetricSignal(
            draw=memory.draw(revision=target_hash),
            failure_rate=signals.read_ratio(
                annotations=found, key=signals.FAILURE_RATE, default=0.0
            ),
            success_rate=signals.read_optional(annotations=found, key=signals.SUCCESS_RATE),
            mode=failure_mode(found.get(signals.METRIC_FAILURE)),
        )
        given = TickInput(
            canary=canary,
            target_hash=target_hash,
            routed_weight=memory.routed_weight,
            metrics=signal,
            now=utc_now(),
            readiness=self._readiness(canary=canary, target=target, memory=memory),
            primary=self._primary_readiness(canary=canary, primary=primary, memory=memory),
            mesh_provider=self.mesh_provider,
        )
        answers: dict[HookKey, HookAnswer] = {}
        while isinstance(result := decide_tick(given=given, answers=answers), HookCall):
            answers[result.key] = await self.caller.call(
                call=result, name=canary.name, namespace=canary.namespace
            )
        return result

    def _readiness(
        self, *, canary: Canary, target: dict[str, Any], memory: CanaryMemory
    ) -> Readiness:
        found = target["metadata"].get("annotations") or {}
        if found.get(signals.READY) != "false" or canary.status.phase not in ACTIVE_PHASES:
            memory.not_ready_since = None
            return Readiness()
        now = asyncio.get_running_loop().time() * self.time_scale
        if memory.not_ready_since is None:
            memory.not_ready_since = now
        replicas = int(target["spec"].get("replicas", 1))
        message = (
            f"canary deployment {canary.target_key} not ready: waiting for rollout to finish: "
            f"0 of {replicas} (readyThreshold 100%) updated replicas are available"
        )
        elapsed = now - memory.not_ready_since
        return Readiness(
            ready=False,
            message=message,
            deadline_exceeded=elapsed > canary.progress_deadline_seconds,
        )

    def _primary_readiness(
        self, *, canary: Canary, primary: dict[str, Any] | None, memory: CanaryMemory
    ) -> Readiness:
        """The primary's pods: unready while it carries the ready=false signal; the deadline
        is the primary Deployment's progressDeadlineSeconds (Flagger copies the canary's)."""
        found = ((primary or {}).get("metadata") or {}).get("annotations") or {}
        if primary is None or found.get(signals.READY) != "false":
            memory.primary_not_ready_since = None
            return Readiness()
        now = asyncio.get_running_loop().time() * self.time_scale
        if memory.primary_not_ready_since is None:
            memory.primary_not_ready_since = now
        elapsed = now - memory.primary_not_ready_since
        exceeded = elapsed > canary.progress_deadline_seconds
        replicas = int(primary["spec"].get("replicas", 1))
        return Readiness(
            ready=False,
            message=primary_not_ready_message(
                canary=canary, replicas=replicas, deadline_exceeded=exceeded
            ),
            deadline_exceeded=exceeded,
        )

    async def _apply(
        self, *, canary: Canary, obj: dict[str, Any], target: dict[str, Any], outcome: TickOutcome
    ) -> None:
        for action in outcome.actions:
            await self.workloads.apply(action=action, canary=canary, canary_obj=obj, target=target)
        if outcome.status is not None:
            await self.api.merge_patch(
                kind=CANARIES,
                namespace=canary.namespace,
                name=canary.name,
                patch={"status": outcome.status},
                subresource="status",
            )
        for event in outcome.events:
            await self._emit(canary=canary, obj=obj, event=event)
        if outcome.post_rollout_phase is not None:
            await self._post_rollout(canary=canary, obj=obj, phase=outcome.post_rollout_phase)

    async def _emit(self, *, canary: Canary, obj: dict[str, Any], event: CanaryEvent) -> None:
        await self.recorder.record(
            involved=obj, reason="Synced", message=event.message, warning=event.warning
        )
        for hook in canary.analysis.hooks_of("event"):
            metadata = event_metadata(
                hook_metadata=hook.metadata,
                message=event.message,
                warning=event.warning,
                unix_ms=unix_ms_now(),
            )
            payload = hook_payload(
                name=canary.name,
                namespace=canary.namespace,
                phase=event.phase,
                checksum=event.checksum,
                metadata=metadata,
            )
            await self.caller.post(
                url=hook.url,
                payload=payload,
                hook_timeout=hook.timeout_seconds,
                retries=hook.retries,
            )

    async def _post_rollout(self, *, canary: Canary, obj: dict[str, Any], phase: str) -> None:
        refreshed = await self.api.get(kind=CANARIES, namespace=canary.namespace, name=canary.name)
        current = parse_canary(obj=refreshed) if refreshed else canary
        for hook in canary.analysis.hooks_of("post-rollout"):
            checksum = _checksum_of(current)
            call = HookCall(hook=hook, phase=phase, checksum=checksum)
            answer = await self.caller.call(call=call, name=canary.name, namespace=canary.namespace)
            message = (
                f"Post-rollout check {hook.name} passed"
                if answer.passed
                else f"Post-rollout hook {hook.name} failed {answer.message}"
            )
            event = CanaryEvent(message, not answer.passed, phase, checksum)
            await self._emit(canary=canary, obj=refreshed or obj, event=event)

    async def _target_missing(self, *, canary: Canary, obj: dict[str, Any]) -> None:
        message = (
            f"{canary.target_kind.lower()} {canary.target_key} get query error: "
            f'deployments.apps "{canary.target_name}" not found'
        )
        await self.recorder.record(involved=obj, reason="Synced", message=message, warning=True)


def primary_not_ready_message(*, canary: Canary, replicas: int, deadline_exceeded: bool) -> str:
    """IsPrimaryReady's error, as Flagger's deployment controller words it."""
    name = f"{canary.target_name}-primary"
    if deadline_exceeded:
        return f'primary deployment {name}.{canary.namespace} not ready: deployment "{name}" ' + (
            "exceeded its progress deadline"
        )
    return (
        f"primary deployment {name}.{canary.namespace} not ready: waiting for rollout to "
        f"finish: 0 of {replicas} (readyThreshold 100%) updated replicas are available"
    )


def _checksum_of(canary: Canary) -> str:
    return run_checksum(
        last_applied_spec=canary.status.last_applied_spec,
        tracked_configs=canary.status.tracked_configs,
    )


async def _cancel_all(tasks: list[asyncio.Task[None]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
