"""Flagger's webhook calls over real HTTP: payload, pass rule, per-attempt timeout, retries.

Flagger POSTs `{"name","namespace","phase","checksum","metadata"}` (metadata omitted when
empty) and counts only 200, 201 and 202 as a pass; with `retries` it retries connection errors,
429 and 5xx (except 501) with backoff and then loses the body. Times are divided by the
simulation's time scale, with a floor so a loaded test machine does not time out a local hook.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from devcluster.simulation.canary_ticks import HookAnswer, HookCall

PASSING_CODES = frozenset({200, 201, 202})
MIN_TIMEOUT_SECONDS = 2.0
MIN_BACKOFF_SECONDS = 0.01


def hook_payload(
    *, name: str, namespace: str, phase: str, checksum: str, metadata: Mapping[str, str]
) -> dict[str, Any]:
    """The JSON body Flagger sends to every webhook."""
    payload: dict[str, Any] = {
        "name": name,
        "namespace": namespace,
        "phase": phase,
        "checksum": checksum,
    }
    if metadata:
        payload["metadata"] = dict(metadata)
    return payload


def event_metadata(
    *, hook_metadata: Mapping[str, str], message: str, warning: bool, unix_ms: int
) -> dict[str, str]:
    """An event webhook's metadata: Flagger's own keys win over the hook's metadata."""
    own = {
        "eventMessage": message,
        "eventType": "Warning" if warning else "Normal",
        "timestamp": str(unix_ms),
    }
    return {**hook_metadata, **own}


def _retryable(status_code: int) -> bool:
    return status_code == 429 or (status_code >= 500 and status_code != 501)


@dataclass(frozen=True)
class WebhookCaller:
    """Calls webhooks for the Flagger simulator on one shared HTTP client."""

    http: httpx.AsyncClient
    time_scale: float

    def timeout_for(self, *, seconds: float) -> float:
        """A hook's per-attempt timeout on the scaled clock, never below the floor."""
        return max(MIN_TIMEOUT_SECONDS, seconds / self.time_scale)

    async def call(self, *, call: HookCall, name: str, namespace: str) -> HookAnswer:
        """Call a gate/check hook and report whether it passed."""
        payload = hook_payload(
            name=name,
            namespace=namespace,
            phase=call.phase,
            checksum=call.checksum,
            metadata=call.hook.metadata,
        )
        return await self.post(
            url=call.hook.url,
            payload=payload,
            hook_timeout=call.hook.timeout_seconds,
            retries=call.hook.retries,
        )

    async def post(
        self, *, url: str, payload: dict[str, Any], hook_timeout: float, retries: int
    ) -> HookAnswer:
        """POST with Flagger's retry policy; the answer carries the body or the error."""
        attempts = max(0, retries) + 1
        answer = HookAnswer(passed=False, message="no attempt made")
        for attempt in range(attempts):
            if attempt:
                await asyncio.sleep(max(MIN_BACKOFF_SECONDS, 2 ** (attempt - 1) / self.time_scale))
            answer, retry = await self._attempt(url=url, payload=payload, hook_timeout=hook_timeout)
            if not retry:
                return answer
        if attempts > 1:
            return HookAnswer(passed=False, message=f"giving up after {attempts} attempt(s)")
        return answer

    async def _attempt(
        self, *, url: str, payload: dict[str, Any], hook_timeout: float
    ) -> tuple[HookAnswer, bool]:
        try:
            response = await self.http.post(
                url, json=payload, timeout=self.timeout_for(seconds=hook_timeout)
            )
        except httpx.HTTPError as error:
            return HookAnswer(passed=False, message=f"{type(error).__name__}: {error}"), True
        passed = response.status_code in PASSING_CODES
        return HookAnswer(passed=passed, message=response.text), _retryable(response.status_code)


def unix_ms_now() -> int:
    """Milliseconds since the epoch, as Flagger stamps event webhooks."""
    return time.time_ns() // 1_000_000
