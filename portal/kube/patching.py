"""Write to the Kubernetes API the way operator actions must: JSON merge patches under the
field manager `infra-fleet-portal` (so Flux leaves the fields alone), raw JSON in and out.

A patch may carry `metadata.resourceVersion` for optimistic concurrency: the API server then
answers 409 when the object changed since it was read. Every failure (a Status error, a
timeout, a refused connection) becomes one `KubeWriteFailed` with the HTTP status and the
server's own message, so callers can report it without guessing; a connection that could not
be made at all says so (`unreachable`): nothing reached the server, nothing was changed.
"""

from __future__ import annotations

import json
from typing import Any, cast

import aiohttp
from kubernetes_asyncio.client import ApiClient

from portal.kube.kinds import CANARIES, DEPLOYMENTS
from portal.kube.view import RawObject

FIELD_MANAGER = "infra-fleet-portal"
MERGE_PATCH = "application/merge-patch+json"


class KubeWriteFailed(Exception):
    """A read or patch the API server refused or never answered (`status` 0: no answer).
    `unreachable`: no connection could be made, so the request never reached the server."""

    def __init__(self, *, status: int, message: str, unreachable: bool = False) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.unreachable = unreachable


def canary_path(namespace: str, name: str) -> str:
    """Checked and quoted (`InvalidKubeName` otherwise): see `portal.domain.kube_names`."""
    return CANARIES.object_path(namespace, name)


def deployment_path(namespace: str, name: str) -> str:
    """Checked and quoted (`InvalidKubeName` otherwise): see `portal.domain.kube_names`."""
    return DEPLOYMENTS.object_path(namespace, name)


async def read_object(client: ApiClient, *, path: str, timeout_seconds: float) -> RawObject:
    """GET one object, fresh from the API server (not the watched copy)."""
    return await _call(client, "GET", path, query=[], body=None, timeout_seconds=timeout_seconds)


async def merge_patch(
    client: ApiClient, *, path: str, patch: dict[str, Any], timeout_seconds: float
) -> RawObject:
    """Apply a JSON merge patch as `infra-fleet-portal`; the patched object comes back."""
    query = [("fieldManager", FIELD_MANAGER)]
    return await _call(
        client, "PATCH", path, query=query, body=patch, timeout_seconds=timeout_seconds
    )


async def _call(
    client: ApiClient,
    method: str,
    path: str,
    *,
    query: list[tuple[str, Any]],
    body: dict[str, Any] | None,
    timeout_seconds: float,
) -> RawObject:
    headers = {"Accept": "application/json"}
    if body is not None:
        headers["Content-Type"] = MERGE_PATCH
    try:
        response = await client.call_api(
            path,
            method,
            query_params=query,
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
            _preload_content=False,
            _request_timeout=aiohttp.ClientTimeout(total=timeout_seconds),
        )
        response = cast(aiohttp.ClientResponse, response)
        async with response:
            text = await response.text()
    except TimeoutError:
        raise KubeWriteFailed(status=0, message=f"no answer within {timeout_seconds:g}s") from None
    except aiohttp.ClientConnectorError as error:
        message = f"{type(error).__name__}: {error}"
        raise KubeWriteFailed(status=0, message=message, unreachable=True) from None
    except aiohttp.ClientError as error:
        raise KubeWriteFailed(status=0, message=f"{type(error).__name__}: {error}") from None
    if not 200 <= response.status <= 299:
        raise KubeWriteFailed(status=response.status, message=_status_message(text, response))
    decoded: RawObject = json.loads(text)
    return decoded


def _status_message(text: str, response: aiohttp.ClientResponse) -> str:
    try:
        status = json.loads(text)
    except ValueError:
        return response.reason or f"HTTP {response.status}"
    if isinstance(status, dict) and status.get("message"):
        return str(status["message"])
    return response.reason or f"HTTP {response.status}"
