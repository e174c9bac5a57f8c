"""`/devcluster/admin/...`: the fault switches and request log over HTTP.

For tests and demos driving a devcluster in another process. Guarded by the admin token when
auth is on (any token whose policy allows everything). Bad input is a 400 Status.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from devcluster import errors
from devcluster.faults import CUT_MODES
from devcluster.state import ClusterState
from devcluster.store import encode

Handler = Callable[[ClusterState, dict[str, Any]], Awaitable[dict[str, Any]]]


def _int(body: dict[str, Any], key: str, default: int | None = None) -> int:
    value = body.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise errors.bad_request(f"{key} must be a non-negative integer, got {value!r}")
    return value


def _number(body: dict[str, Any], key: str) -> float:
    value = body.get(key)
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise errors.bad_request(f"{key} must be a non-negative number, got {value!r}")
    return float(value)


def _prefix(body: dict[str, Any]) -> str:
    value = body.get("path_prefix", "")
    if not isinstance(value, str):
        raise errors.bad_request("path_prefix must be a string")
    return value


async def close_watches(state: ClusterState, body: dict[str, Any]) -> dict[str, Any]:
    return {"closed": state.faults.close_watches()}


async def expire_watches(state: ClusterState, body: dict[str, Any]) -> dict[str, Any]:
    state.faults.expire_next_watches(_int(body, "count"), path_prefix=_prefix(body))
    return {"expire_next_watches": state.faults.expire_watches}


async def cut_watch_events(state: ClusterState, body: dict[str, Any]) -> dict[str, Any]:
    mode = body.get("mode", "abort")
    if mode not in CUT_MODES:
        raise errors.bad_request(f"mode must be abort or end, got {mode!r}")
    state.faults.cut_next_watch_events(_int(body, "count"), path_prefix=_prefix(body), mode=mode)
    return {"cut_next_watch_events": sum(c.remaining for c in state.faults.event_cuts)}


async def fail_requests(state: ClusterState, body: dict[str, Any]) -> dict[str, Any]:
    status = _int(body, "status", 500)
    if status not in (429, 500, 503):
        raise errors.bad_request(f"status must be 429, 500 or 503, got {status}")
    state.faults.fail_next_requests(
        count=_int(body, "count"),
        status=status,
        path_prefix=_prefix(body),
        retry_after=_int(body, "retry_after", 1),
    )
    return {"queued": len(state.faults.request_faults)}


async def slow_requests(state: ClusterState, body: dict[str, Any]) -> dict[str, Any]:
    state.faults.slow_next_requests(
        count=_int(body, "count"),
        delay_seconds=_number(body, "delay_seconds"),
        path_prefix=_prefix(body),
    )
    return {"queued": len(state.faults.request_faults)}


async def clear_faults(state: ClusterState, body: dict[str, Any]) -> dict[str, Any]:
    state.faults.clear()
    return {"cleared": True}


async def go_down(state: ClusterState, body: dict[str, Any]) -> dict[str, Any]:
    seconds = _number(body, "seconds")
    if state.go_down is None:
        raise errors.bad_request("this devcluster was not started by a server that can go down")
    await state.go_down(seconds)
    return {"down_for_seconds": seconds}


async def list_requests(state: ClusterState, body: dict[str, Any]) -> dict[str, Any]:
    records = state.requests.matching(path_prefix=body.get("path_prefix") or None)
    return {
        "requests": [
            {
                "method": r.method,
                "path": r.path,
                "query": r.query,
                "status": r.status,
                "user": r.user,
                "user_agent": r.user_agent,
            }
            for r in records
        ]
    }


async def clear_requests(state: ClusterState, body: dict[str, Any]) -> dict[str, Any]:
    state.requests.clear()
    return {"cleared": True}


def _endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        state: ClusterState = request.app.state.cluster
        try:
            if not state.authorizer.is_admin(request.headers.get("authorization")):
                raise errors.ApiError(code=403, reason="Forbidden", message="admin token required")
            body = await _body(request)
            return Response(encode(await handler(state, body)), 200, media_type="application/json")
        except errors.ApiError as exc:
            return Response(encode(exc.to_status()), exc.code, media_type="application/json")

    return endpoint


async def _body(request: Request) -> dict[str, Any]:
    if request.method == "GET":
        return dict(request.query_params)
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else {}
    except ValueError as exc:
        raise errors.bad_request(f"body is not JSON: {exc}") from exc
    if not isinstance(body, dict):
        raise errors.bad_request("body must be a JSON object")
    return body


def admin_routes() -> list[Route]:
    prefix = "/devcluster/admin"
    table: list[tuple[str, str, Handler]] = [
        ("/watches/close", "POST", close_watches),
        ("/watches/expire", "POST", expire_watches),
        ("/watches/cut", "POST", cut_watch_events),
        ("/faults/fail", "POST", fail_requests),
        ("/faults/slow", "POST", slow_requests),
        ("/faults", "DELETE", clear_faults),
        ("/down", "POST", go_down),
        ("/requests", "GET", list_requests),
        ("/requests", "DELETE", clear_requests),
    ]
    return [Route(prefix + path, _endpoint(h), methods=[m]) for path, m, h in table]
