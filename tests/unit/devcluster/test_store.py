"""The object store: one write path, resourceVersions, history, watchers."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from devcluster.builtin_kinds import builtin_types
from devcluster.crds import crd_types
from devcluster.errors import ApiError
from devcluster.resources import Registry, ResourceType
from devcluster.selectors import FieldSelector, LabelSelector
from devcluster.store import ObjectStore
from devcluster.watchers import WatchFilter


def _store(history_size: int = 100) -> ObjectStore:
    registry = Registry()
    registry.add(builtin_types())
    registry.add(crd_types(None))
    return ObjectStore(
        registry=registry, history_size=history_size, clock=lambda: "2026-01-01T00:00:00Z"
    )


def _type(store: ObjectStore, group: str, version: str, plural: str) -> ResourceType:
    return store.registry.lookup(group=group, version=version, plural=plural)


def _lease(name: str, holder: str = "a") -> dict[str, Any]:
    return {"metadata": {"name": name}, "spec": {"holderIdentity": holder}}


ALL = WatchFilter(namespace="", labels=LabelSelector(()), fields=FieldSelector(()))


def test_default_namespaces_exist_at_start() -> None:
    store = _store()
    ns = _type(store, "", "v1", "namespaces")
    _, keys = store.scan(ns, namespace="")
    assert [k[1] for k in keys] == ["default", "kube-node-lease", "kube-public", "kube-system"]
    assert store.revision == 4


def test_every_write_takes_the_next_cluster_wide_resource_version() -> None:
    store = _store()
    leases = _type(store, "coordination.k8s.io", "v1", "leases")
    pods = _type(store, "", "v1", "pods")
    a = store.create(leases, _lease("a"), namespace="default", manager="t")
    p = store.create(pods, {"metadata": {"name": "p"}}, namespace="default", manager="t")
    b = store.update(leases, _lease("a", "b"), namespace="default", name="a", manager="t")
    assert [s.obj["metadata"]["resourceVersion"] for s in (a, p, b)] == ["5", "6", "7"]


def test_stored_encoding_matches_the_object() -> None:
    store = _store()
    leases = _type(store, "coordination.k8s.io", "v1", "leases")
    stored = store.create(leases, _lease("a"), namespace="default", manager="t")
    assert stored.raw.startswith(b'{"metadata":{"name":"a","namespace":"default"')
    assert b'"resourceVersion":"5"' in stored.raw


def test_pod_status_from_create_is_replaced_by_pending() -> None:
    store = _store()
    pods = _type(store, "", "v1", "pods")
    stored = store.create(
        pods,
        {"metadata": {"name": "p"}, "status": {"phase": "Running"}},
        namespace="default",
        manager="t",
    )
    assert stored.obj["status"] == {"phase": "Pending"}


def test_watch_replays_only_changes_after_the_version() -> None:
    store = _store()
    leases = _type(store, "coordination.k8s.io", "v1", "leases")
    store.create(leases, _lease("a"), namespace="default", manager="t")
    since = store.revision
    store.update(leases, _lease("a", "b"), namespace="default", name="a", manager="t")
    store.delete(leases, namespace="default", name="a")
    watcher = store.watch(leases, flt=ALL, since=since)
    assert [(kind, s.obj["metadata"]["resourceVersion"]) for kind, s in watcher.pending if s] == [
        ("MODIFIED", "6"),
        ("DELETED", "7"),
    ]


def test_watch_older_than_history_is_expired() -> None:
    store = _store(history_size=2)
    leases = _type(store, "coordination.k8s.io", "v1", "leases")
    since = store.revision
    for name in ("a", "b", "c"):
        store.create(leases, _lease(name), namespace="default", manager="t")
    with pytest.raises(ApiError) as raised:
        store.watch(leases, flt=ALL, since=since)
    assert (raised.value.code, raised.value.reason) == (410, "Expired")
    assert raised.value.message == f"too old resource version: {since} ({since + 1})"


def test_history_is_per_resource() -> None:
    store = _store(history_size=2)
    leases = _type(store, "coordination.k8s.io", "v1", "leases")
    pods = _type(store, "", "v1", "pods")
    store.create(leases, _lease("a"), namespace="default", manager="t")
    since = store.revision
    for name in ("p1", "p2", "p3"):
        store.create(pods, {"metadata": {"name": name}}, namespace="default", manager="t")
    assert list(store.watch(leases, flt=ALL, since=since).pending) == []


def test_live_watchers_get_changes_and_closed_ones_do_not() -> None:
    store = _store()
    leases = _type(store, "coordination.k8s.io", "v1", "leases")
    open_watch = store.watch(leases, flt=ALL, since=store.revision)
    closed_watch = store.watch(leases, flt=ALL, since=store.revision)
    store.unwatch(closed_watch)
    store.create(leases, _lease("a"), namespace="default", manager="t")
    assert [kind for kind, _ in open_watch.pending] == ["ADDED"]  # type: ignore[misc]
    assert list(closed_watch.pending) == [None]
    assert store.watcher_count == 1


def test_deleting_a_namespace_deletes_its_objects() -> None:
    store = _store()
    ns = _type(store, "", "v1", "namespaces")
    leases = _type(store, "coordination.k8s.io", "v1", "leases")
    store.create(ns, {"metadata": {"name": "team"}}, namespace="", manager="t")
    store.create(leases, _lease("a"), namespace="team", manager="t")
    store.create(leases, _lease("b"), namespace="default", manager="t")
    store.delete(ns, namespace="", name="team")
    _, keys = store.scan(leases, namespace="")
    assert keys == [("default", "b")]


def test_events_share_storage_across_api_versions() -> None:
    store = _store()
    core = _type(store, "", "v1", "events")
    new = _type(store, "events.k8s.io", "v1", "events")
    store.create(
        new,
        {
            "apiVersion": "events.k8s.io/v1",
            "kind": "Event",
            "metadata": {"name": "e"},
            "eventTime": "2026-01-01T00:00:00.000000Z",
            "note": "hi",
            "regarding": {"kind": "Canary"},
        },
        namespace="default",
        manager="t",
    )
    stored = store.get(core, namespace="default", name="e")
    assert stored.obj["message"] == "hi"
    assert stored.obj["involvedObject"] == {"kind": "Canary"}
    assert stored.obj["apiVersion"] == "v1"


def test_generation_tracks_spec_not_metadata() -> None:
    store = _store()
    canaries = _type(store, "flagger.app", "v1beta1", "canaries")
    store.create(
        canaries, {"metadata": {"name": "c"}, "spec": {"a": 1}}, namespace="default", manager="t"
    )
    labelled = store.update(
        canaries,
        {"metadata": {"name": "c", "labels": {"x": "y"}}, "spec": {"a": 1}},
        namespace="default",
        name="c",
        manager="t",
    )
    changed = store.update(
        canaries,
        {"metadata": {"name": "c"}, "spec": {"a": 2}},
        namespace="default",
        name="c",
        manager="t",
    )
    assert labelled.obj["metadata"]["generation"] == 1
    assert changed.obj["metadata"]["generation"] == 2


def test_renaming_through_update_is_bad_request() -> None:
    store = _store()
    leases = _type(store, "coordination.k8s.io", "v1", "leases")
    store.create(leases, _lease("a"), namespace="default", manager="t")
    with pytest.raises(ApiError) as raised:
        store.update(leases, _lease("b"), namespace="default", name="a", manager="t")
    assert raised.value.code == 400


async def test_waiting_for_watchers_returns_when_the_count_is_reached() -> None:
    store = _store()
    leases = _type(store, "coordination.k8s.io", "v1", "leases")
    waiter = asyncio.create_task(
        store.wait_for_watchers(count=1, resource="leases.coordination.k8s.io", within=5)
    )
    watcher = store.watch(leases, flt=ALL, since=None)
    await waiter
    store.unwatch(watcher)
    await store.wait_for_watchers(count=0, within=5)
    assert store.watcher_count == 0


def test_system_namespaces_may_not_be_deleted() -> None:
    store = _store()
    ns = _type(store, "", "v1", "namespaces")
    with pytest.raises(ApiError) as raised:
        store.delete(ns, namespace="", name="default")
    assert (raised.value.code, raised.value.message) == (
        403,
        'namespaces "default" is forbidden: this namespace may not be deleted',
    )


def test_events_expire_after_their_ttl_with_deleted_watch_events() -> None:
    now = ["2026-01-01T00:00:00Z"]
    registry = Registry()
    registry.add(builtin_types())
    store = ObjectStore(registry=registry, clock=lambda: now[0], event_ttl_seconds=3600)
    events = _type(store, "", "v1", "events")
    leases = _type(store, "coordination.k8s.io", "v1", "leases")
    store.create(
        events,
        {"metadata": {"name": "old"}, "involvedObject": {"kind": "Pod"}, "message": "a"},
        namespace="default",
        manager="t",
    )
    now[0] = "2026-01-01T00:30:00Z"
    store.create(
        events,
        {"metadata": {"name": "newer"}, "involvedObject": {"kind": "Pod"}, "message": "b"},
        namespace="default",
        manager="t",
    )
    store.create(leases, _lease("kept"), namespace="default", manager="t")
    watcher = store.watch(events, flt=ALL, since=store.revision)
    now[0] = "2026-01-01T01:00:00Z"
    _, keys = store.scan(events, namespace="")
    assert keys == [("default", "newer")]
    assert [(kind, s.obj["metadata"]["name"]) for kind, s in watcher.pending if s] == [
        ("DELETED", "old")
    ]  # type: ignore[misc]
    _, lease_keys = store.scan(leases, namespace="")
    assert lease_keys == [("default", "kept")]
