"""HTTP endpoints outside the resource tree: version, discovery roots, OpenAPI, health."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from devcluster import discovery, errors, openapi
from devcluster.flagger_metrics import CONTENT_TYPE
from devcluster.http_common import cluster_state, guard, json_response, status_response


async def version(request: Request) -> Response:
    try:
        await guard(request)
    except errors.ApiError as exc:
        return status_response(exc)
    return json_response(discovery.SERVER_VERSION)


async def legacy_root(request: Request) -> Response:
    try:
        await guard(request)
    except errors.ApiError as exc:
        return status_response(exc)
    return json_response(discovery.api_versions(request.url.netloc))


async def groups_root(request: Request) -> Response:
    try:
        await guard(request)
    except errors.ApiError as exc:
        return status_response(exc)
    return json_response(discovery.api_group_list(cluster_state(request).registry))


async def flagger_metrics(request: Request) -> Response:
    """Flagger's own metrics for this cluster, unauthenticated like Flagger's `:8080/metrics`."""
    body = cluster_state(request).flagger_metrics.exposition()
    return Response(body, media_type=CONTENT_TYPE)


async def not_served(request: Request) -> Response:
    return status_response(errors.path_not_found())


async def openapi_v3(request: Request) -> Response:
    state = cluster_state(request)
    try:
        await guard(request)
        rest = request.path_params.get("rest", "").strip("/")
        if not rest:
            return json_response(openapi.root_document(state.registry))
        parts = rest.split("/")
        doc = None
        if parts[0] == "api" and len(parts) == 2:
            doc = openapi.gv_document(state.registry, group="", version=parts[1])
        elif parts[0] == "apis" and len(parts) == 3:
            doc = openapi.gv_document(state.registry, group=parts[1], version=parts[2])
        if doc is None:
            raise errors.path_not_found()
        return json_response(doc)
    except errors.ApiError as exc:
        return status_response(exc)


async def health(request: Request) -> Response:
    return Response(b"ok", 200, media_type="text/plain")
