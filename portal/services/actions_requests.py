"""What an operator action is asked with, and how a failed cluster call is reported.

A Kubernetes refusal or silence becomes an answer the caller can act on: 409 when the canary
changed meanwhile, 404 when it is gone, 502 (with the cluster's own message) for RBAC refusals,
server errors and timeouts. Never a 500.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from kubernetes_asyncio.client import ApiClient

from portal.domain.action_rules import ActionName
from portal.errors import Conflict, NotFound, PortalError
from portal.kube.patching import KubeWriteFailed
from portal.kube.view import ClusterView

Scope = Literal["run", "always"]


@dataclass(frozen=True, slots=True)
class ActionRequest:
    cluster: str
    namespace: str
    name: str
    action: ActionName
    reason: str
    scope: Scope = "run"


@dataclass(frozen=True, slots=True)
class ActionEnv:
    """What an action needs besides the session: the fleet and how to reach it."""

    view: ClusterView
    clients: Mapping[str, ApiClient]
    portal_url: str
    token_configured: bool
    timeout: float
    now: datetime
    flush_gate_calls: Callable[[], Awaitable[None]] | None = None
    """Writes the gate calls this replica answered so far (an action reads the last calls)."""


class KubernetesCallFailed(PortalError):
    """The cluster refused the change or did not answer (RBAC, timeout, outage)."""

    status_code = 502
    title = "Cluster call failed"


def cluster_error(failed: KubeWriteFailed, *, cluster: str, target: str) -> PortalError:
    """The error to answer for a failed read or patch of `target` in `cluster`."""
    if failed.status == 409:
        return Conflict(f"{target} changed meanwhile (409 from {cluster}): {failed.message}")
    if failed.status == 404:
        return NotFound(f"{cluster} answered 404 for {target}: {failed.message}")
    if failed.status == 0:
        return KubernetesCallFailed(f"cluster {cluster} did not answer: {failed.message}")
    return KubernetesCallFailed(
        f"cluster {cluster} refused the change ({failed.status}): {failed.message}"
    )
