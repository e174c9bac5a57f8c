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


def giving_up(*, url: str, attempts: int, cause: str) -> str:
    """go-retryablehttp's error once the last answer was retryable: a 429 or 5xx body is lost,
    even with `retries: 0` (one attempt); a connection error keeps its cause."""
    message = f"POST {url} giving up after {attempts} attempt(s)"
    return f"{message}: {cause}" if cause else message


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
        cause = ""
        for attempt in range(attempts):
            if attempt:
                await asyncio.sleep(max(MIN_BACKOFF_SECONDS, 2 ** (attempt - 1) / self.time_scale))
            answer, cause = await self._attempt(url=url, payload=payload, hook_timeout=hook_timeout)
            if answer is not None:
                return answer
        return HookAnswer(passed=False, message=giving_up(url=url, attempts=attempts, cause=cause))

    async def _attempt(
        self, *, url: str, payload: dict[str, Any], hook_timeout: float
    ) -> tuple[HookAnswer | None, str]:
        """The final answer, or None with the cause (empty for a 429/5xx) when worth retrying."""
        try:
            response = await self.http.post(
                url, json=payload, timeout=self.timeout_for(seconds=hook_timeout)
            )
        except httpx.HTTPError as error:
            return None, f"{type(error).__name__}: {error}"
        if _retryable(response.status_code):
            return None, ""
        passed = response.status_code in PASSING_CODES
        return HookAnswer(passed=passed, message=response.text), ""


def unix_ms_now() -> int:
    """Milliseconds since the epoch, as Flagger stamps event webhooks."""
    return time.time_ns() // 1_000_000
