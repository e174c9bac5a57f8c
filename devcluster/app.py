"""The HTTP application: Kubernetes REST paths dispatched to the read/write/watch verbs.

Every API request passes, in order: fault switches, authentication, path parsing,
authorization, the verb. Any `ApiError` becomes its `Status` body; the request log records the
outcome. Admin endpoints (fault switches over HTTP) live in `admin.py`.
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from devcluster import applying, discovery, errors, reading, watch_stream, writing
from devcluster.admin import admin_routes
from devcluster.auth import Policy, authorize
from devcluster.auth import Request as AuthRequest
from devcluster.discovery_routes import (
    flagger_metrics,
    groups_root,
    health,
    legacy_root,
    not_served,
    openapi_v3,
    version,
)
from devcluster.http_common import JSON, cluster_state, guard, json_response, status_response
from devcluster.patching import APPLY_PATCH
from devcluster.query_params import parse_bool
from devcluster.request_log import RequestLogMiddleware
from devcluster.routing import DiscoveryPath, Target, parse_path
from devcluster.state import ClusterState
from devcluster.watchers import Stored

ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


async def resource(request: Request) -> Response:
    state = cluster_state(request)
    try:
        policy = await guard(request)
        group_doc = _group_document(request)
        if group_doc is not None:
            return json_response(group_doc)
        parsed = parse_path(state.registry, request.url.path)
        if isinstance(parsed, DiscoveryPath):
            return json_response(
                discovery.api_resource_list(
                    state.registry, group=parsed.group, version=parsed.version
                )
            )
        return await _dispatch(request, state, policy, parsed)
    except errors.ApiError as exc:
        return status_response(exc)


def _group_document(request: Request) -> dict[str, Any] | None:
    parts = [p for p in request.url.path.split("/") if p]
    if len(parts) == 2 and parts[0] == "apis":
        found = discovery.api_group(cluster_state(request).registry, parts[1])
        if found is None:
            raise errors.path_not_found()
        return found
    return None


def _verb(method: str, target: Target, query: dict[str, str]) -> str:
    if method == "GET":
        if target.is_collection:
            return "watch" if parse_bool(query.get("watch")) else "list"
        return "get"
    verbs = {"POST": "create", "PUT": "update", "PATCH": "patch"}
    if method == "DELETE":
        return "deletecollection" if target.is_collection else "delete"
    return verbs[method]


async def _dispatch(
    request: Request, state: ClusterState, policy: Policy | None, target: Target
) -> Response:
    query = dict(request.query_params)
    verb = _verb(request.method, target, query)
    authorize(
        policy,
        AuthRequest(
            verb=verb,
            group=target.rtype.group,
            resource=target.rtype.plural,
            subresource=target.subresource,
            namespace=target.namespace,
            name=target.name,
        ),
    )
    if verb in ("get", "list", "watch"):
        return _read(request, state, target, query, verb)
    if verb == "deletecollection":
        return _delete_collection(state, target, query)
    return await _write(request, state, target, query, verb)


def _read(
    request: Request, state: ClusterState, target: Target, query: dict[str, str], verb: str
) -> Response:
    table = reading.wants_table(request.headers.get("accept", "")) and not target.subresource
    media = reading.TABLE_MEDIA if table else JSON
    include = query.get("includeObject", "Metadata")
    if verb == "get":
        stored = state.store.get(target.rtype, namespace=target.namespace, name=target.name)
        if target.subresource == "scale":
            return json_response(writing.scale_of(target, stored))
        if table:
            meta = {"resourceVersion": stored.obj["metadata"]["resourceVersion"]}
            obj = reading.view(target.rtype, stored)
            return json_response(
                reading.table_body(target.rtype, [obj], meta, include), media=media
            )
        return json_response(reading.raw_view(target.rtype, stored))
    if verb == "watch":
        return _watch(request, state, target, query, table=table, media=media)
    page, meta = reading.select(
        state.store, target, reading.list_query(target.rtype, target.namespace, query)
    )
    if table:
        objects = [reading.view(target.rtype, s) for s in page]
        return json_response(reading.table_body(target.rtype, objects, meta, include), media=media)
    return json_response(reading.list_body(target.rtype, page, meta))


def _watch(
    request: Request,
    state: ClusterState,
    target: Target,
    query: dict[str, str],
    *,
    table: bool,
    media: str,
) -> Response:
    opts = watch_stream.watch_options(
        query, table=table, default_timeout=state.default_watch_timeout
    )
    opened = watch_stream.open_watch(state, target, query, opts, path=request.url.path)
    if isinstance(opened, bytes):
        return Response(opened, 200, media_type=media)
    return StreamingResponse(
        watch_stream.stream_events(state, target, opened, opts, path=request.url.path),
        media_type=media,
        headers={"Cache-Control": "no-cache, private"},
    )


async def _write(
    request: Request, state: ClusterState, target: Target, query: dict[str, str], verb: str
) -> Response:
    opts = writing.write_options(query, request.headers.get("user-agent", ""))
    if verb == "delete":
        stored = writing.delete(state.store, target, opts)
        if target.rtype.delete_returns_object or stored.obj["metadata"].get("deletionTimestamp"):
            return json_response(reading.raw_view(target.rtype, stored))
        return json_response(writing.delete_status(target, stored))
    created = verb == "create"
    if verb == "patch" and _is_apply(request):
        stored, created = await _server_side_apply(request, state, target, query, opts)
    else:
        stored = await _apply_write(request, state, target, verb, opts)
    if target.subresource == "scale":
        response = json_response(writing.scale_of(target, stored))
    else:
        response = json_response(reading.raw_view(target.rtype, stored), 201 if created else 200)
    for warning in opts.mode.warnings:
        escaped = warning.replace("\\", "\\\\").replace('"', '\\"')
        response.headers.append("Warning", f'299 - "{escaped}"')
    return response


def _is_apply(request: Request) -> bool:
    media = request.headers.get("content-type", "").split(";", maxsplit=1)[0].strip().lower()
    return media == APPLY_PATCH


async def _server_side_apply(
    request: Request,
    state: ClusterState,
    target: Target,
    query: dict[str, str],
    opts: writing.WriteOptions,
) -> tuple[Stored, bool]:
    if not query.get("fieldManager"):
        cause = errors.Cause(
            "FieldValueRequired", "Required value: is required for apply patch", "fieldManager"
        )
        raise errors.invalid(kind="PatchOptions", group="meta.k8s.io", name="", causes=[cause])
    document = writing.decode_body(await request.body(), APPLY_PATCH)
    return applying.apply(
        state.store,
        target,
        document,
        manager=opts.manager,
        force=parse_bool(query.get("force")),
        mode=opts.mode,
    )


async def _apply_write(
    request: Request, state: ClusterState, target: Target, verb: str, opts: writing.WriteOptions
) -> Stored:
    body = await request.body()
    content_type = request.headers.get("content-type", JSON)
    if verb == "patch":
        stored = writing.patch(state.store, target, body, content_type, opts)
    elif verb == "create":
        stored = writing.create(state.store, target, writing.decode_body(body, content_type), opts)
    else:
        stored = writing.update(state.store, target, writing.decode_body(body, content_type), opts)
    return stored


def _delete_collection(state: ClusterState, target: Target, query: dict[str, str]) -> Response:
    if target.subresource:
        raise errors.method_not_allowed()
    page, meta = reading.select(
        state.store, target, reading.list_query(target.rtype, target.namespace, query)
    )
    deleted = [
        state.store.delete(target.rtype, namespace=s.namespace, name=s.obj["metadata"]["name"])
        for s in page
    ]
    meta = {"resourceVersion": str(state.store.revision)}
    return json_response(reading.list_body(target.rtype, deleted, meta))


async def _internal_error(request: Request, exc: Exception) -> Response:
    error = errors.ApiError(
        code=500, reason="InternalError", message=f"Internal error occurred: {exc}"
    )
    return status_response(error)


def create_app(state: ClusterState) -> Starlette:
    """The ASGI app serving `state` (no global state: build as many as you like)."""
    routes = [
        Route("/version", version, methods=["GET"]),
        Route("/healthz", health, methods=["GET"]),
        Route("/readyz", health, methods=["GET"]),
        Route("/livez", health, methods=["GET"]),
        Route("/metrics", flagger_metrics, methods=["GET"]),
        Route("/api", legacy_root, methods=["GET"]),
        Route("/apis", groups_root, methods=["GET"]),
        Route("/openapi/v3", openapi_v3, methods=["GET"]),
        Route("/openapi/v3/{rest:path}", openapi_v3, methods=["GET"]),
        Route("/openapi/{rest:path}", not_served, methods=ALL_METHODS),
        Route("/api/{rest:path}", resource, methods=ALL_METHODS),
        Route("/apis/{rest:path}", resource, methods=ALL_METHODS),
        *admin_routes(),
        Route("/{rest:path}", not_served, methods=ALL_METHODS),
    ]
    app = Starlette(routes=routes, exception_handlers={Exception: _internal_error})
    app.state.cluster = state
    app.add_middleware(RequestLogMiddleware, log=state.requests)
    return app
