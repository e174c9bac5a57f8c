"""Everything one devcluster API server instance shares between requests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from devcluster.auth import Authorizer, Policy
from devcluster.builtin_kinds import builtin_types
from devcluster.crds import crd_types
from devcluster.direct_access import DirectAccess
from devcluster.faults import Faults
from devcluster.flagger_metrics import FlaggerMetrics
from devcluster.request_log import RequestLog
from devcluster.resources import Registry
from devcluster.store import ObjectStore
from devcluster.validation import SchemaValidator


@dataclass
class ClusterState:
    """The store plus the switches around it (auth, faults, request log, watch timing)."""

    registry: Registry
    store: ObjectStore
    authorizer: Authorizer
    faults: Faults
    requests: RequestLog = field(default_factory=RequestLog)
    flagger_metrics: FlaggerMetrics = field(default_factory=FlaggerMetrics)
    """Flagger's Prometheus metrics as this cluster's simulator records them (`/metrics`)."""
    bookmark_interval: float = 60.0
    default_watch_timeout: float = 1800.0
    go_down: Callable[[float], Awaitable[None]] | None = None
    accepting: bool = True  # False while the server shuts down: no new watch may slip in

    @property
    def direct(self) -> DirectAccess:
        return DirectAccess(self.store)


def build_state(
    *,
    crds_dir: Path | None,
    policies: dict[str, Policy] | None = None,
    history_size: int = 1000,
    bookmark_interval: float = 60.0,
    event_ttl_seconds: float = 3600.0,
) -> ClusterState:
    """A fresh cluster: built-in kinds, the CRD kinds of `crds_dir`, default namespaces."""
    registry = Registry()
    registry.add(builtin_types())
    registry.add(crd_types(crds_dir))
    store = ObjectStore(
        registry=registry,
        validator=SchemaValidator(),
        history_size=history_size,
        event_ttl_seconds=event_ttl_seconds,
    )
    return ClusterState(
        registry=registry,
        store=store,
        authorizer=Authorizer(policies),
        faults=Faults(store=store),
        bookmark_interval=bookmark_interval,
    )
