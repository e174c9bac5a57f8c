"""ClusterView: the in-memory copy of every watched object, per cluster and kind.

The watch loops are its only writers; page views and API reads are its readers, so no request
ever reaches the Kubernetes API. Listeners hear about every change (to push it to browsers and
to record the timeline) and the view remembers, per watch, whether it is in sync and since when.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import structlog

from portal.domain.canaries import DEFAULT_MESH_PROVIDER

log = structlog.get_logger("portal.kube")

RawObject = dict[str, Any]
ObjectKey = tuple[str, str]
ChangeType = Literal["ADDED", "MODIFIED", "DELETED"]


def utcnow() -> datetime:
    return datetime.now(UTC)


def object_key(obj: Mapping[str, Any]) -> ObjectKey:
    metadata = obj.get("metadata") or {}
    return (str(metadata.get("namespace") or ""), str(metadata.get("name") or ""))


def resource_version(obj: Mapping[str, Any]) -> str:
    return str((obj.get("metadata") or {}).get("resourceVersion") or "")


@dataclass(frozen=True, slots=True)
class Change:
    """One object added, modified or deleted, as the view saw it."""

    cluster: str
    kind: str
    type: ChangeType
    obj: RawObject
    old: RawObject | None = None

    @property
    def namespace(self) -> str:
        return object_key(self.obj)[0]

    @property
    def name(self) -> str:
        return object_key(self.obj)[1]


Listener = Callable[[Change], None]


@dataclass(slots=True)
class WatchState:
    """Health of one list+watch: first list done, connected now, last in sync, restarts."""

    cluster: str
    kind: str
    scope: str | None
    listed: bool = False
    connected: bool = False
    last_sync: datetime | None = None
    restarts: int = 0
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class ClusterStatus:
    name: str
    ready: bool
    stale: bool
    last_sync: datetime | None
    errors: tuple[str, ...]


@dataclass(slots=True)
class _Store:
    objects: dict[tuple[str, str], dict[ObjectKey, RawObject]] = field(default_factory=dict)


class ClusterView:
    def __init__(
        self,
        *,
        clusters: Sequence[str],
        clock: Callable[[], datetime] = utcnow,
        mesh_providers: Mapping[str, str] | None = None,
    ) -> None:
        self.clusters = tuple(clusters)
        self._mesh_providers = dict(mesh_providers or {})
        self._clock = clock
        self._store = _Store()
        self._watches: dict[tuple[str, str, str | None], WatchState] = {}
        self._listeners: list[Listener] = []
        self.listener_failures = 0
        self.all_listed = asyncio.Event()
        """Set once every registered watch has done its first list (never set without any)."""

    # -- writers (the watch loops) ---------------------------------------------------------

    def register_watch(self, *, cluster: str, kind: str, scope: str | None) -> WatchState:
        """Idempotent: the supervisor registers every watch before any of them starts."""
        self._store.objects.setdefault((cluster, kind), {})
        return self._watches.setdefault(
            (cluster, kind, scope), WatchState(cluster=cluster, kind=kind, scope=scope)
        )

    def replace(
        self, *, cluster: str, kind: str, scope: str | None, objects: Iterable[RawObject]
    ) -> None:
        """A fresh list: objects not in it (within the watch's scope) were deleted meanwhile."""
        current = self._store.objects.setdefault((cluster, kind), {})
        fresh = {object_key(obj): obj for obj in objects}
        in_scope = [key for key in current if scope is None or key[0] == scope]
        for key in in_scope:
            if key not in fresh:
                self._emit(Change(cluster, kind, "DELETED", current.pop(key)))
        for key, obj in fresh.items():
            old = current.get(key)
            current[key] = obj
            if old is None:
                self._emit(Change(cluster, kind, "ADDED", obj))
            elif resource_version(old) != resource_version(obj):
                self._emit(Change(cluster, kind, "MODIFIED", obj, old))
        state = self._watches[(cluster, kind, scope)]
        state.listed = state.connected = True
        state.last_sync = self._clock()
        state.last_error = None
        if all(watch.listed for watch in self._watches.values()):
            self.all_listed.set()

    def apply(self, *, cluster: str, kind: str, change_type: ChangeType, obj: RawObject) -> None:
        current = self._store.objects.setdefault((cluster, kind), {})
        key = object_key(obj)
        if change_type == "DELETED":
            old = current.pop(key, None)
            self._emit(Change(cluster, kind, "DELETED", obj, old))
            return
        old = current.get(key)
        current[key] = obj
        self._emit(Change(cluster, kind, "ADDED" if old is None else "MODIFIED", obj, old))

    def mark_in_sync(self, *, cluster: str, kind: str, scope: str | None) -> None:
        state = self._watches[(cluster, kind, scope)]
        state.connected = True
        state.last_sync = self._clock()

    def mark_disconnected(
        self, *, cluster: str, kind: str, scope: str | None, error: str, restart: bool
    ) -> None:
        state = self._watches[(cluster, kind, scope)]
        if state.connected:
            state.last_sync = self._clock()  # the last moment the copy was known current
        state.connected = False
        state.last_error = error
        if restart:
            state.restarts += 1

    def mark_restart(self, *, cluster: str, kind: str, scope: str | None) -> None:
        self._watches[(cluster, kind, scope)].restarts += 1

    # -- readers ---------------------------------------------------------------------------

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def objects(self, kind: str, *, cluster: str | None = None) -> list[tuple[str, RawObject]]:
        """Every object of a kind, with its cluster, in a stable order."""
        found: list[tuple[str, RawObject]] = []
        for name in self.clusters:
            if cluster is not None and name != cluster:
                continue
            store = self._store.objects.get((name, kind), {})
            found.extend((name, store[key]) for key in sorted(store))
        return found

    def get(self, kind: str, *, cluster: str, namespace: str, name: str) -> RawObject | None:
        return self._store.objects.get((cluster, kind), {}).get((namespace, name))

    def count(self, kind: str) -> int:
        return sum(len(v) for (_, k), v in self._store.objects.items() if k == kind)

    def watches(self) -> list[WatchState]:
        return list(self._watches.values())

    def disconnected_watch(self, *, cluster: str, kind: str, namespace: str) -> WatchState | None:
        """The watch of `kind` covering `namespace` in `cluster` when it is not connected now
        (its copy may be old, and the API server is likely unreachable), else None."""
        for state in self._watches.values():
            covers = state.scope is None or state.scope == namespace
            if state.cluster == cluster and state.kind == kind and covers and not state.connected:
                return state
        return None

    def mesh_provider(self, cluster: str) -> str:
        """Flagger's `-mesh-provider` flag on `cluster` (PORTAL_MESH_PROVIDERS, "*", istio)."""
        found = self._mesh_providers.get(cluster) or self._mesh_providers.get("*")
        return found or DEFAULT_MESH_PROVIDER

    def cluster_status(self, cluster: str) -> ClusterStatus:
        states = [s for s in self._watches.values() if s.cluster == cluster]
        stale = [s for s in states if not s.connected]
        errors = tuple(sorted({s.last_error for s in stale if s.last_error}))
        considered = stale or states
        syncs = [s.last_sync for s in considered if s.last_sync is not None]
        return ClusterStatus(
            name=cluster,
            ready=bool(states) and all(s.listed for s in states),
            stale=bool(stale),
            last_sync=(min(syncs) if stale else max(syncs)) if syncs else None,
            errors=errors,
        )

    def unready_clusters(self) -> dict[str, str]:
        """Clusters whose first list is not complete yet, with the reason."""
        reasons = {}
        for cluster in self.clusters:
            pending = sorted(
                s.kind for s in self._watches.values() if s.cluster == cluster and not s.listed
            )
            if pending:
                reasons[cluster] = "first list not done for " + ", ".join(pending)
        return reasons

    def _emit(self, change: Change) -> None:
        """Tell every listener; one that fails is logged and counted, and neither the other
        listeners nor the watch that delivered the change are stopped by it."""
        for listener in tuple(self._listeners):
            try:
                listener(change)
            except Exception:
                self.listener_failures += 1
                log.exception(
                    "view listener failed", listener=repr(listener)[:200], change=change.name
                )
