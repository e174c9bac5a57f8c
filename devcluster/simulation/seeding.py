"""Creating a scenario's objects through the API, tolerating ones that already exist.

Seeding goes through the same REST calls any client makes; a restart of the simulation over a
store that already holds the scenario must not fail, so AlreadyExists is fine. Objects that come
with a status (nodes) get it written through the `/status` subresource afterwards, since
creation ignores status on a real API server.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

from devcluster.simulation.api_client import (
    CANARIES,
    DEPLOYMENTS,
    HPAS,
    NAMESPACES,
    NODES,
    ApiError,
    Kind,
    KubeApi,
)
from devcluster.simulation.loop_failures import report_failure

KINDS = {
    ("v1", "Namespace"): NAMESPACES,
    ("v1", "Node"): NODES,
    ("apps/v1", "Deployment"): DEPLOYMENTS,
    ("autoscaling/v2", "HorizontalPodAutoscaler"): HPAS,
    ("flagger.app/v1beta1", "Canary"): CANARIES,
}


def kind_of(*, obj: dict[str, Any]) -> Kind:
    """The collection an object is created in."""
    return KINDS[(obj["apiVersion"], obj["kind"])]


async def seed_objects(*, api: KubeApi, objects: Sequence[dict[str, Any]]) -> int:
    """Create every object in order; return how many were new."""
    created_count = 0
    for obj in objects:
        body = copy.deepcopy(obj)
        status = body.pop("status", None)
        kind = kind_of(obj=body)
        namespace = body["metadata"].get("namespace")
        created = await api.create(kind=kind, namespace=namespace, body=body)
        if created is None:
            continue
        created_count += 1
        if status:
            await _write_status(api=api, kind=kind, obj=body, status=status)
    return created_count


async def _write_status(
    *, api: KubeApi, kind: Kind, obj: dict[str, Any], status: dict[str, Any]
) -> None:
    metadata = obj["metadata"]
    try:
        await api.merge_patch(
            kind=kind,
            namespace=metadata.get("namespace"),
            name=metadata["name"],
            patch={"status": status},
            subresource="status",
        )
    except ApiError as error:
        report_failure(event="seed.status_failed", error=error, name=metadata["name"])
