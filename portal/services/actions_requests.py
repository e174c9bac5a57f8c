"""What an operator action is asked with, and how a failed cluster call is reported.

A Kubernetes refusal or silence becomes an answer the caller can act on: 409 when the canary
changed meanwhile, 404 when it is gone, 503 with `Retry-After` when the cluster cannot be
reached (its watch is disconnected, the connection is refused, or the API server says it is
unavailable: nothing was changed, try again), 502 (with the cluster's own message) for RBAC
refusals, other server errors and timeouts (whether the change landed is then unknown).
Never a 500.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from kubernetes_asyncio.client import ApiClient

from portal.domain.action_rules import ActionName
from portal.errors import Conflict, NotFound, PortalError, ServiceUnavailable
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


RETRY_AFTER_SECONDS = 5
"""What an action refused during an outage tells the caller to wait (the watch's backoff is
capped at 4 s, so a cluster that is back is seen within about that)."""


class ClusterUnavailable(ServiceUnavailable):
    """The cluster cannot be reached now; nothing was changed."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def cluster_outage(view: ClusterView, *, cluster: str, namespace: str) -> ClusterUnavailable | None:
    """Refuse to act on what may be an old copy: when the watch of the cluster's canaries in
    `namespace` is disconnected, say so (503) instead of patching blind."""
    watch = view.disconnected_watch(cluster=cluster, kind="canaries", namespace=namespace)
    if watch is None:
        return None
    since = watch.last_sync.isoformat(timespec="seconds") if watch.last_sync else "never"
    return ClusterUnavailable(
        f"cluster {cluster} is unreachable: the portal's watch of its canaries is disconnected "
        f"({watch.last_error or 'reconnecting'}); its copy was last known current at {since}. "
        f"Nothing was changed: try again once it reconnects"
    )


def cluster_error(failed: KubeWriteFailed, *, cluster: str, target: str) -> PortalError:
    """The error to answer for a failed read or patch of `target` in `cluster`."""
    if failed.unreachable:
        return ClusterUnavailable(
            f"cluster {cluster} is unreachable ({failed.message}); nothing was changed: "
            "try again once it is back"
        )
    if failed.status == 503:
        return ClusterUnavailable(
            f"cluster {cluster} is unavailable (503): {failed.message}; nothing was changed"
        )
    if failed.status == 409:
        return Conflict(f"{target} changed meanwhile (409 from {cluster}): {failed.message}")
    if failed.status == 404:
        return NotFound(f"{cluster} answered 404 for {target}: {failed.message}")
    if failed.status == 0:
        return KubernetesCallFailed(f"cluster {cluster} did not answer: {failed.message}")
    return KubernetesCallFailed(
        f"cluster {cluster} refused the change ({failed.status}): {failed.message}"
    )
