"""Helpers every devcluster HTTP endpoint shares: JSON and Status responses, the guard.

The guard runs before anything else on an API request: injected faults first (as a flaky
server would), then authentication (the caller's policy, or 401).
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from devcluster import errors
from devcluster.auth import Policy
from devcluster.state import ClusterState
from devcluster.store import encode

JSON = "application/json"


CHUNK = 256 * 1024


class ChunkedBodyResponse(Response):
    """A fixed-length body sent in slices, each after the previous one drained.

    Python 3.11's asyncio transport keeps unsent data in one bytearray and deletes from its
    front after every send, so writing a 25 MB list in one piece costs quadratic memmoves;
    slices keep that buffer small (measured: see BENCHMARKS.md, devcluster section).
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        view = memoryview(self.body)
        for start in range(0, len(view), CHUNK):
            piece = bytes(view[start : start + CHUNK])
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def json_response(body: dict[str, Any] | bytes, status: int = 200, media: str = JSON) -> Response:
    raw = body if isinstance(body, bytes) else encode(body)
    if len(raw) > CHUNK:
        return ChunkedBodyResponse(raw, status, media_type=media)
    return Response(raw, status, media_type=media)


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
    """Shutdown, then faults (as a flaky server would), then authentication."""
    state = cluster_state(request)
    if not state.accepting:
        raise errors.ApiError(
            code=503,
            reason="ServiceUnavailable",
            message="the server is shutting down",
            retry_after=1,
        )
    planned = state.faults.plan(request.url.path, request.method)
    if planned.hold is not None:
        await planned.hold.released.wait()
    if planned.delay_seconds:
        await asyncio.sleep(planned.delay_seconds)
    if planned.error is not None:
        raise planned.error
    policy = state.authorizer.authenticate(request.headers.get("authorization"))
    _record_user(request, policy)
    return policy
