"""A small Kubernetes REST client for the simulators: the standard paths, verbs and patch types.

The simulators must act only through the API (so a watcher sees exactly what they do), and they
need raw dicts, JSON merge-patch with a field manager and the `/status` subresource: a thin
wrapper over `httpx.AsyncClient` says that directly.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from devcluster.validation import is_dns_label, is_dns_subdomain

MERGE_PATCH = "application/merge-patch+json"
CONNECT_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Kind:
    """A resource collection: where its REST paths live."""

    api_version: str
    plural: str
    namespaced: bool = True

    def path(self, *, namespace: str | None = None, name: str | None = None) -> str:
        """The REST path; namespace and name are checked as Kubernetes names and quoted, so a
        name read from an object (a Canary's targetRef) can never walk the path."""
        prefix = "/api/v1" if self.api_version == "v1" else f"/apis/{self.api_version}"
        scope = (
            f"/namespaces/{_segment(namespace, is_dns_label)}"
            if self.namespaced and namespace
            else ""
        )
        tail = f"/{_segment(name, is_dns_subdomain)}" if name else ""
        return f"{prefix}{scope}/{self.plural}{tail}"


class InvalidName(ValueError):
    """A namespace or name that is not a Kubernetes name: never put into a path."""


def _segment(value: str, valid: Callable[[str], bool]) -> str:
    if not valid(value):
        raise InvalidName(f"{value[:80]!r} is not a valid Kubernetes name for a path")
    return quote(value, safe="")


NAMESPACES = Kind("v1", "namespaces", namespaced=False)
NODES = Kind("v1", "nodes", namespaced=False)
PODS = Kind("v1", "pods")
EVENTS = Kind("v1", "events")
DEPLOYMENTS = Kind("apps/v1", "deployments")
HPAS = Kind("autoscaling/v2", "horizontalpodautoscalers")
CANARIES = Kind("flagger.app/v1beta1", "canaries")


class ApiError(Exception):
    """The API answered with a failure status."""

    def __init__(self, *, status_code: int, body: str) -> None:
        super().__init__(f"HTTP {status_code}: {body[:300]}")
        self.status_code = status_code
        self.body = body


def make_http_client(*, api_url: str, token: str | None, timeout: float) -> httpx.AsyncClient:
    """The HTTP client every simulator shares (bearer token when one is given)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    limits = httpx.Timeout(timeout, connect=min(timeout, CONNECT_TIMEOUT_SECONDS))
    return httpx.AsyncClient(base_url=api_url, headers=headers, timeout=limits)


@dataclass(frozen=True)
class KubeApi:
    """Raw-dict access to the API as one field manager."""

    http: httpx.AsyncClient
    field_manager: str

    async def get(self, *, kind: Kind, namespace: str | None, name: str) -> dict[str, Any] | None:
        """The object, or None when it does not exist."""
        response = await self.http.get(kind.path(namespace=namespace, name=name))
        if response.status_code == 404:
            return None
        return _json(response)

    async def list(self, *, kind: Kind, namespace: str | None = None) -> list[dict[str, Any]]:
        """Every object of `kind` (across namespaces when `namespace` is None)."""
        body = _json(await self.http.get(kind.path(namespace=namespace)))
        items: list[dict[str, Any]] = body.get("items") or []
        return items

    async def create(
        self, *, kind: Kind, namespace: str | None, body: dict[str, Any]
    ) -> dict[str, Any] | None:
        """Create the object and return it as stored; None when it already exists."""
        response = await self.http.post(
            kind.path(namespace=namespace), json=body, params={"fieldManager": self.field_manager}
        )
        if response.status_code == 409:
            return None
        return _json(response)

    async def merge_patch(
        self,
        *,
        kind: Kind,
        namespace: str | None,
        name: str,
        patch: dict[str, Any],
        subresource: str | None = None,
    ) -> dict[str, Any]:
        """Apply a JSON merge-patch (to `/status` when subresource is "status")."""
        path = kind.path(namespace=namespace, name=name)
        response = await self.http.patch(
            f"{path}/{subresource}" if subresource else path,
            json=patch,
            params={"fieldManager": self.field_manager},
            headers={"Content-Type": MERGE_PATCH},
        )
        return _json(response)

    async def delete(self, *, kind: Kind, namespace: str | None, name: str) -> None:
        """Delete the object; absent objects are fine."""
        response = await self.http.delete(kind.path(namespace=namespace, name=name))
        if response.status_code != 404:
            _json(response)


def _json(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        raise ApiError(status_code=response.status_code, body=response.text)
    body: dict[str, Any] = response.json()
    return body
