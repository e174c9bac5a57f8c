"""`metadata.managedFields`: which field manager last set which fields.

The real server tracks ownership with structured-merge-diff. devcluster records the same entry
shape (manager, operation, apiVersion, time, fieldsType FieldsV1, fieldsV1, subresource) with
ownership derived from what each write changed: a manager gains the fields it set and other
managers lose them. That is enough to show who (Flux, kubectl, the portal) touched what.
"""

from __future__ import annotations

import json
from typing import Any

Path = tuple[str, ...]

_SERVER_OWNED = frozenset(
    {
        "name",
        "namespace",
        "uid",
        "resourceVersion",
        "generation",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "managedFields",
        "selfLink",
    }
)


def changed_paths(old: Any, new: Any, prefix: Path = ()) -> set[Path]:
    """Paths of every field set or changed in `new` relative to `old` (with created parents)."""
    if isinstance(new, dict):
        found: set[Path] = set()
        before = old if isinstance(old, dict) else {}
        for key, value in new.items():
            if prefix == ("f:metadata",) and key in _SERVER_OWNED:
                continue
            if before.get(key) != value:
                found |= changed_paths(before.get(key), value, (*prefix, f"f:{key}"))
        if found and prefix and not isinstance(old, dict):
            found.add(prefix)
        return found
    if isinstance(new, list) and all(isinstance(e, dict) and "name" in e for e in new) and new:
        found = set() if isinstance(old, list) else {prefix}
        before_items = {e.get("name"): e for e in old or [] if isinstance(e, dict)}
        for element in new:
            key = json.dumps({"name": element["name"]}, separators=(",", ":"))
            if before_items.get(element["name"]) != element:
                found |= changed_paths(
                    before_items.get(element["name"]), element, (*prefix, f"k:{key}")
                )
        return found
    return {prefix} if prefix else set()


def to_fields_v1(paths: set[Path]) -> dict[str, Any]:
    """Render a path set as a FieldsV1 tree (`"."` marks an owned map or list element)."""
    tree: dict[str, Any] = {}
    for path in sorted(paths):
        node = tree
        for part in path:
            node = node.setdefault(part, {})
    for path in paths:
        node = tree
        for part in path:
            node = node[part]
        if node:
            node["."] = {}
    return tree


def from_fields_v1(tree: dict[str, Any], prefix: Path = ()) -> set[Path]:
    """The inverse of `to_fields_v1`."""
    found: set[Path] = set()
    for key, child in tree.items():
        if key == ".":
            found.add(prefix)
            continue
        path = (*prefix, key)
        found |= from_fields_v1(child, path) if child else {path}
    return found


def record_write(
    *,
    old: dict[str, Any] | None,
    new: dict[str, Any],
    manager: str,
    operation: str,
    subresource: str,
    now: str,
    applied: frozenset[Path] | None = None,
) -> list[dict[str, Any]]:
    """The new `managedFields` after `manager` turned `old` into `new`.

    An update adds what it changed to the manager's fields; an apply (`applied` given) makes
    the manager own exactly the fields of its configuration.
    """
    touched = changed_paths(old, _comparable(new, subresource))
    entries = [dict(e) for e in (old or {}).get("metadata", {}).get("managedFields") or []]
    mine = _pop_entry(entries, manager, operation, subresource)
    owned = from_fields_v1(mine.get("fieldsV1", {})) if mine else set()
    kept = []
    for entry in entries:
        remaining = from_fields_v1(entry.get("fieldsV1", {})) - touched
        if remaining:
            kept.append({**entry, "fieldsV1": to_fields_v1(remaining)})
    mine_now = set(applied) if applied is not None else owned | touched
    if mine_now:
        kept.append(
            _entry(
                manager=manager,
                operation=operation,
                subresource=subresource,
                obj=new,
                now=now,
                paths=mine_now,
            )
        )
    return kept


def _comparable(obj: dict[str, Any], subresource: str) -> dict[str, Any]:
    if subresource == "status":
        return {"status": obj.get("status")} if "status" in obj else {}
    return {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}


def _pop_entry(
    entries: list[dict[str, Any]], manager: str, operation: str, subresource: str
) -> dict[str, Any] | None:
    for index, entry in enumerate(entries):
        if (entry.get("manager"), entry.get("operation"), entry.get("subresource", "")) == (
            manager,
            operation,
            subresource,
        ):
            return entries.pop(index)
    return None


def _entry(
    *,
    manager: str,
    operation: str,
    subresource: str,
    obj: dict[str, Any],
    now: str,
    paths: set[Path],
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "manager": manager,
        "operation": operation,
        "apiVersion": obj.get("apiVersion", ""),
        "time": now,
        "fieldsType": "FieldsV1",
        "fieldsV1": to_fields_v1(paths),
    }
    if subresource:
        entry["subresource"] = subresource
    return entry
