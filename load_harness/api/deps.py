"""Annotated dependency aliases, so routers say what they need and not where it lives."""

from __future__ import annotations

import asyncio
import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader

from load_harness.errors import InjectedFailure
from load_harness.state import HarnessState

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)


def get_state(request: Request) -> HarnessState:
    """The app's shared state."""
    state: HarnessState = request.app.state.harness
    return state


StateDep = Annotated[HarnessState, Depends(get_state)]


def require_api_key(
    state: StateDep, presented: Annotated[str | None, Security(api_key_header)]
) -> None:
    """Let the request through only with the configured key (unless auth is disabled)."""
    expected = state.settings.api_key
    if state.settings.auth == "disabled" or expected is None:
        return
    if presented is None:
        raise HTTPException(status_code=401, detail="missing X-API-Key header")
    if not hmac.compare_digest(
        presented.encode("utf-8"), expected.get_secret_value().encode("utf-8")
    ):
        raise HTTPException(status_code=401, detail="invalid API key")


Authorised = Depends(require_api_key)


async def inject_chaos(state: StateDep) -> None:
    """Apply chaos to a traffic-path request: delay it, then maybe fail it with an injected 500.

    Only the traffic routers (load, jobs, work) depend on this; probes, metrics, version, the
    admin API and the status page never do, so a pod under chaos stays live and can be healed.
    """
    decision = state.chaos.decide()
    if decision.delay_seconds > 0:
        await asyncio.sleep(decision.delay_seconds)
    if decision.fail:
        rate = state.chaos.config.error_rate
        raise InjectedFailure(f"injected failure (chaos error_rate={rate:g})")


Chaotic = Depends(inject_chaos)
