"""The Kubernetes side of operator actions: `spec.suspend`, `spec.skipAnalysis` and the retry
annotation, each one JSON merge patch under the portal's field manager.

Suspend patches carry the `resourceVersion` the caller saw, so a change in between is a 409
from the API server instead of a silent overwrite; the patch is retried once after reading
the object fresh, and a canary already in the wanted state is reported as such.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from kubernetes_asyncio.client import ApiClient

from portal.domain.raw_fields import bool_at, mapping_at, str_at
from portal.kube.patching import (
    KubeWriteFailed,
    canary_path,
    deployment_path,
    merge_patch,
    read_object,
)

RETRY_ANNOTATION = "infra-fleet.io/retry-at"


@dataclass(frozen=True, slots=True)
class CanaryRef:
    client: ApiClient
    namespace: str
    name: str
    timeout: float

    @property
    def path(self) -> str:
        return canary_path(self.namespace, self.name)


async def set_spec_flag(
    canary: CanaryRef, *, field: str, value: bool, resource_version: str
) -> bool:
    """Set `spec.<field>`; False when it already had that value (nothing written)."""
    try:
        await _patch_flag(canary, field=field, value=value, resource_version=resource_version)
        return True
    except KubeWriteFailed as failed:
        if failed.status != 409:
            raise
    fresh = await read_object(canary.client, path=canary.path, timeout_seconds=canary.timeout)
    if bool_at(mapping_at(fresh, "spec"), field) is value:
        return False
    version = str_at(mapping_at(fresh, "metadata"), "resourceVersion")
    await _patch_flag(canary, field=field, value=value, resource_version=version)
    return True


async def _patch_flag(canary: CanaryRef, *, field: str, value: bool, resource_version: str) -> None:
    patch = {"metadata": {"resourceVersion": resource_version}, "spec": {field: value}}
    await merge_patch(canary.client, path=canary.path, patch=patch, timeout_seconds=canary.timeout)


async def reset_skip_analysis(canary: CanaryRef) -> None:
    """Put `spec.skipAnalysis` back to false (unconditionally: false is always right here)."""
    patch = {"spec": {"skipAnalysis": False}}
    await merge_patch(canary.client, path=canary.path, patch=patch, timeout_seconds=canary.timeout)


async def annotate_for_retry(
    client: ApiClient, *, namespace: str, deployment: str, at: datetime, timeout_seconds: float
) -> None:
    """Bump the pod-template annotation: a new template hash, so Flagger starts a new run."""
    patch = {
        "spec": {"template": {"metadata": {"annotations": {RETRY_ANNOTATION: at.isoformat()}}}}
    }
    path = deployment_path(namespace, deployment)
    await merge_patch(client, path=path, patch=patch, timeout_seconds=timeout_seconds)
