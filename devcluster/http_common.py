"""Helpers every devcluster HTTP endpoint shares: JSON and Status responses, the guard.

The guard runs before anything else on an API request: injected faults first (as a flaky
server would), then authentication (the caller's policy, or 401).
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from devcluster import errors
from devcluster.auth import Policy
from devcluster.state import ClusterState
from devcluster.store import encode

JSON = "application/json"


def json_response(body: dict[str, Any] | bytes, status: int = 200, media: str = JSON) -> Response:
    return Response(body if isinstance(body, bytes) else encode(body), status, media_type=media)


def status_response(exc: errors.ApiError) -> Response:
    response = json_response(exc.to_status(), exc.code)
    if exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def cluster_state(request: Request) -> ClusterState:
    state: ClusterState = request.app.state.cluster
    return state


def _record_user(request: Request, policy: Policy | None) -> None:
    request.scope.setdefault("state", {})["devcluster_user"] = policy.user if policy else ""


async def guard(request: Request) -> Policy | None:
    """Faults first (as a flaky server would), then authentication."""
    state = cluster_state(request)
    planned = state.faults.plan(request.url.path)
    if planned.delay_seconds:
        await asyncio.sleep(planned.delay_seconds)
    if planned.error is not None:
        raise planned.error
    policy = state.authorizer.authenticate(request.headers.get("authorization"))
    _record_user(request, policy)
    return policy
