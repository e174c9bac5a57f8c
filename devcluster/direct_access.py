"""Synchronous object access for test setup, through the store's single write path.

Tests and benchmarks seed objects without HTTP (`cluster.objects.put(obj)`); the writes still
go through `ObjectStore`, so watchers see them exactly like API writes.
"""

from __future__ import annotations

import copy
from typing import Any

from devcluster import errors
from devcluster.resources import ResourceType
from devcluster.store import ObjectStore


class DirectAccess:
    """Synchronous create/get/delete for test setup, through the same write path as the API."""

    def __init__(self, store: ObjectStore) -> None:
        self._store = store

    def _rtype(self, api_version: str, kind: str) -> ResourceType:
        rtype = self._store.registry.find_kind(api_version=api_version, kind=kind)
        if rtype is None:
            raise errors.bad_request(f"no kind {kind!r} is registered for version {api_version!r}")
        return rtype

    def put(self, obj: dict[str, Any], *, manager: str = "devcluster-test") -> dict[str, Any]:
        """Create `obj`, or replace it (spec and status) when it exists; returns the result."""
        rtype = self._rtype(obj["apiVersion"], obj["kind"])
        meta = obj.get("metadata", {})
        namespace, name = meta.get("namespace", "default"), meta.get("name", "")
        exists = (namespace if rtype.namespaced else "", name) in self._store.bucket(rtype).objects
        if exists:
            stored = self._store.update(rtype, obj, namespace=namespace, name=name, manager=manager)
        else:
            stored = self._store.create(rtype, obj, namespace=namespace, manager=manager)
        if "status" in obj and rtype.status_subresource:
            stored = self._store.update(
                rtype,
                obj,
                namespace=namespace,
                name=stored.obj["metadata"]["name"],
                manager=manager,
                subresource="status",
            )
        return copy.deepcopy(self._store.view_of(rtype, stored.obj))

    def get(self, api_version: str, kind: str, *, name: str, namespace: str = "") -> dict[str, Any]:
        rtype = self._rtype(api_version, kind)
        stored = self._store.get(rtype, namespace=namespace, name=name)
        return copy.deepcopy(self._store.view_of(rtype, stored.obj))

    def delete(self, api_version: str, kind: str, *, name: str, namespace: str = "") -> None:
        self._store.delete(self._rtype(api_version, kind), namespace=namespace, name=name)
