"""A minimal OpenAPI v3 surface: just enough for kubectl's server-side field validation.

kubectl (1.27+) validates manifests on the server (`fieldValidation=Strict`) only after finding
a PATCH operation for the kind that declares a `fieldValidation` query parameter in
`/openapi/v3/<group-version>`; otherwise it tries client-side validation, which needs full
schemas, and fails. devcluster serves one PATCH operation per kind and no schemas; clients
needing schemas (kubectl explain) get nothing useful here.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from devcluster.resources import Registry, ResourceType


def _gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def gv_document(registry: Registry, *, group: str, version: str) -> dict[str, Any] | None:
    rtypes = registry.in_group_version(group=group, version=version)
    if not rtypes:
        return None
    paths = {_item_path(r): {"patch": _patch_operation(r)} for r in rtypes}
    return {
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.32.0-devcluster"},
        "paths": paths,
    }


def _item_path(rtype: ResourceType) -> str:
    base = "/" + _gv_path(rtype.group, rtype.version)
    scope = "/namespaces/{namespace}" if rtype.namespaced else ""
    return f"{base}{scope}/{rtype.plural}/{{name}}"


def _patch_operation(rtype: ResourceType) -> dict[str, Any]:
    query = [
        {"name": name, "in": "query", "schema": {"type": "string", "uniqueItems": True}}
        for name in ("dryRun", "fieldManager", "fieldValidation", "force")
    ]
    return {
        "operationId": f"patch{rtype.kind}",
        "parameters": query,
        "responses": {"200": {"description": "OK"}},
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": {
            "group": rtype.group,
            "version": rtype.version,
            "kind": rtype.kind,
        },
    }


def root_document(registry: Registry) -> dict[str, Any]:
    paths = {}
    for group, versions in registry.group_versions().items():
        for version in versions:
            doc = gv_document(registry, group=group, version=version)
            digest = hashlib.sha512(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:32]
            path = _gv_path(group, version)
            paths[path] = {"serverRelativeURL": f"/openapi/v3/{path}?hash={digest.upper()}"}
    return {"paths": paths}
