"""The one in-memory object store: the only source of truth of a devcluster.

Every write (an API request, a simulator step over HTTP, a test's direct `put`) ends in
`ObjectStore._commit`, which validates, assigns the next cluster-wide resourceVersion, encodes
the object once, appends the change to a bounded per-resource history and wakes the watchers.
Writes are synchronous, so on one event loop they are atomic and totally ordered.
"""

from __future__ import annotations

import copy
import json
from collections import deque
from collections.abc import Callable
from typing import Any

from devcluster import errors
from devcluster.buckets import Bucket, Key
from devcluster.event_expiry import EVENT_BUCKET, EventExpiry, parse_stamp
from devcluster.lifecycle import (
    check_preconditions,
    now_rfc3339,
    prepare_create,
    prepare_update,
    same_content,
)
from devcluster.managed_fields import record_write
from devcluster.resources import Registry, ResourceType
from devcluster.validation import SchemaValidator, check_shape
from devcluster.watch_registry import WatchRegistry
from devcluster.watchers import Change, Stored, Watcher, WatchFilter
from devcluster.write_mode import WriteMode

DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
PROTECTED_NAMESPACES = ("default", "kube-system", "kube-public")


def encode(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


class ObjectStore:
    """Objects by resource, namespace and name; history and watchers per resource."""

    def __init__(
        self,
        *,
        registry: Registry,
        validator: SchemaValidator | None = None,
        history_size: int = 1000,
        clock: Callable[[], str] = now_rfc3339,
        event_ttl_seconds: float = 3600.0,
    ) -> None:
        self.registry = registry
        self.event_expiry = EventExpiry(event_ttl_seconds)
        self.validator = validator or SchemaValidator()
        self.history_size = history_size
        self.clock = clock
        self.revision = 0
        self._buckets: dict[str, Bucket] = {}
        self.watches = WatchRegistry()
        ns_type = registry.lookup(group="", version="v1", plural="namespaces")
        for name in DEFAULT_NAMESPACES:
            self.create(ns_type, {"metadata": {"name": name}}, namespace="", manager="devcluster")

    def bucket(self, rtype: ResourceType) -> Bucket:
        found = self._buckets.get(rtype.key)
        if found is None:
            found = Bucket({}, deque(maxlen=self.history_size))
            self._buckets[rtype.key] = found
        return found

    # reads ---------------------------------------------------------------------------------

    def get(self, rtype: ResourceType, *, namespace: str, name: str) -> Stored:
        stored = self.bucket(rtype).objects.get((namespace if rtype.namespaced else "", name))
        if stored is None:
            raise errors.not_found(resource=rtype.plural, group=rtype.group, name=name)
        return stored

    def scan(
        self, rtype: ResourceType, *, namespace: str, after: Key = ("", "")
    ) -> tuple[Bucket, list[Key]]:
        """The bucket and its keys in storage order (namespace, name), after `after`."""
        if rtype.key == EVENT_BUCKET:
            self.expire_events()
        bucket = self.bucket(rtype)
        return bucket, bucket.keys_after(after, namespace if rtype.namespaced else "")

    # writes --------------------------------------------------------------------------------

    def create(
        self,
        rtype: ResourceType,
        obj: dict[str, Any],
        *,
        namespace: str,
        manager: str,
        mode: WriteMode | None = None,
    ) -> Stored:
        mode = mode or WriteMode()
        now = self.clock()
        new = prepare_create(
            rtype, self._storage_form(rtype, obj, mode=mode), namespace=namespace, now=now
        )
        name = new["metadata"]["name"]
        if rtype.namespaced:
            self._require_namespace(namespace)
        key = (namespace if rtype.namespaced else "", name)
        if key in self.bucket(rtype).objects:
            raise errors.already_exists(resource=rtype.plural, group=rtype.group, name=name)
        new["metadata"]["managedFields"] = record_write(
            old=None,
            new=new,
            manager=manager,
            operation=mode.operation,
            subresource="",
            now=now,
            applied=mode.applied,
        )
        stored = self._commit(rtype, key, new, "ADDED", previous=None, dry_run=mode.dry_run)
        if rtype.key == EVENT_BUCKET and not mode.dry_run:
            self.event_expiry.track(stored)
            self.expire_events()
        return stored

    def expire_events(self) -> None:
        """Delete the events whose time-to-live has passed (with DELETED watch events)."""
        bucket = self._buckets.get(EVENT_BUCKET)
        for key, uid in self.event_expiry.due(parse_stamp(self.clock())):
            stored = bucket.objects.get(key) if bucket else None
            if stored is not None and stored.obj["metadata"]["uid"] == uid:
                rtype = self.registry.lookup(group="", version="v1", plural="events")
                self._commit(rtype, key, stored.obj, "DELETED", stored.obj)

    def update(
        self,
        rtype: ResourceType,
        obj: dict[str, Any],
        *,
        namespace: str,
        name: str,
        manager: str,
        subresource: str = "",
        mode: WriteMode | None = None,
    ) -> Stored:
        mode = mode or WriteMode()
        current = self.get(rtype, namespace=namespace, name=name)
        incoming = self._storage_form(rtype, obj, mode=mode)
        check_preconditions(rtype, current.obj, incoming)
        new = prepare_update(rtype, current.obj, incoming, subresource=subresource)
        if same_content(current.obj, new):
            return current  # a no-op write: no new resourceVersion, no watch event
        new["metadata"]["managedFields"] = record_write(
            old=current.obj,
            new=new,
            manager=manager,
            operation=mode.operation,
            subresource=subresource,
            now=self.clock(),
            applied=mode.applied,
        )
        meta = new["metadata"]
        gone = meta.get("deletionTimestamp") and not meta.get("finalizers")
        event = "DELETED" if gone else "MODIFIED"
        return self._commit(rtype, _key(rtype, new), new, event, current.obj, dry_run=mode.dry_run)

    def delete(
        self, rtype: ResourceType, *, namespace: str, name: str, dry_run: bool = False
    ) -> Stored:
        """Delete now, or mark for deletion when finalizers remain (as the server does)."""
        current = self.get(rtype, namespace=namespace, name=name)
        if rtype.plural == "namespaces" and name in PROTECTED_NAMESPACES:
            raise errors.namespace_protected(name)
        if dry_run:
            return current
        if rtype.plural == "namespaces":
            self._delete_namespace_contents(name)
        if current.obj["metadata"].get("finalizers") and rtype.plural != "namespaces":
            if current.obj["metadata"].get("deletionTimestamp"):
                return current
            marked = copy.deepcopy(current.obj)
            marked["metadata"]["deletionTimestamp"] = self.clock()
            marked["metadata"]["deletionGracePeriodSeconds"] = 0
            return self._commit(rtype, _key(rtype, marked), marked, "MODIFIED", current.obj)
        return self._commit(rtype, _key(rtype, current.obj), current.obj, "DELETED", current.obj)

    def _delete_namespace_contents(self, namespace: str) -> None:
        for key, bucket in list(self._buckets.items()):
            rtype = next((t for t in self.registry.types if t.key == key), None)
            if rtype is None or not rtype.namespaced:
                continue
            for ns, name in [k for k in bucket.objects if k[0] == namespace]:
                stored = bucket.objects[(ns, name)]
                self._commit(rtype, (ns, name), stored.obj, "DELETED", stored.obj)

    def _require_namespace(self, namespace: str) -> None:
        if ("", namespace) not in self._buckets["namespaces"].objects:
            raise errors.not_found(resource="namespaces", group="", name=namespace)

    def _storage_form(
        self, rtype: ResourceType, obj: dict[str, Any], *, mode: WriteMode
    ) -> dict[str, Any]:
        check_shape(obj)
        pruned = self.validator.prepare(rtype, obj, strict=mode.strict)
        mode.warnings.extend(f'unknown field "{path}"' for path in pruned.unknown)
        obj = pruned.obj
        return rtype.to_storage(obj) if rtype.to_storage else obj

    def _commit(
        self,
        rtype: ResourceType,
        key: Key,
        obj: dict[str, Any],
        event: str,
        previous: dict[str, Any] | None,
        *,
        dry_run: bool = False,
    ) -> Stored:
        """The single write path: validate, version, encode, store, record history, notify.

        A dry run stops after validation and returns what would have been stored.
        """
        if event != "DELETED":
            obj = self.validator.default(rtype, obj)
            self.validator.validate(rtype, self.view_of(rtype, obj))
        if dry_run:
            return Stored(obj, encode(obj))
        self.revision += 1
        obj = {**obj, "metadata": {**obj["metadata"], "resourceVersion": str(self.revision)}}
        stored = Stored(obj, encode(obj))
        bucket = self.bucket(rtype)
        if event == "DELETED":
            del bucket.objects[key]
            bucket._sorted = None
        else:
            if key not in bucket.objects:
                bucket._sorted = None
            bucket.objects[key] = stored
        self._record(bucket, Change(self.revision, event, rtype.key, stored, previous))
        return stored

    def view_of(self, rtype: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
        return rtype.from_storage(obj) if rtype.from_storage else obj

    def _record(self, bucket: Bucket, change: Change) -> None:
        if len(bucket.history) == bucket.history.maxlen:
            bucket.floor = bucket.history[0].rv
        bucket.history.append(change)
        self.watches.fan_out(change)

    # watches -------------------------------------------------------------------------------

    def watch(self, rtype: ResourceType, *, flt: WatchFilter, since: int | None) -> Watcher:
        """Register a watch; replay history after `since`, or current objects when None.

        Raises a 410 Expired ApiError when `since` is older than the retained history.
        """
        bucket = self.bucket(rtype)
        watcher = Watcher(bucket=rtype.key, filter=flt)
        if since is None:
            for key in bucket.sorted_keys():
                stored = bucket.objects[key]
                if flt.matches(stored.obj):
                    watcher.push(("ADDED", stored))
        else:
            if since < bucket.floor:
                raise errors.expired(f"too old resource version: {since} ({bucket.floor})")
            if since > self.revision:
                raise errors.too_large_resource_version(since, self.revision)
            for change in bucket.history:
                if change.rv > since:
                    watcher.offer(change)
        self.watches.add(watcher)
        return watcher

    def unwatch(self, watcher: Watcher) -> None:
        self.watches.remove(watcher)

    def close_watchers(self) -> int:
        """End every open watch now (clients see the stream end); returns how many."""
        return self.watches.close_all()

    @property
    def watcher_count(self) -> int:
        return self.watches.count()

    async def wait_for_watchers(
        self, *, count: int, resource: str | None = None, within: float = 10
    ) -> None:
        """Wait until `count` watches are open (on `resource`, e.g. "canaries.flagger.app")."""
        await self.watches.wait_for(count=count, bucket=resource, within=within)

    def oldest_retained(self, rtype: ResourceType) -> int:
        return self.bucket(rtype).floor


def _key(rtype: ResourceType, obj: dict[str, Any]) -> Key:
    meta = obj["metadata"]
    return (meta.get("namespace", "") if rtype.namespaced else "", meta["name"])
