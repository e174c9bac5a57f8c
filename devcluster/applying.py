"""Server-side apply (`PATCH` with `application/apply-patch+yaml`), simplified.

What Flux does to a cluster: the manager owns exactly the fields of its configuration; fields it
applied before and dropped now are removed; a field another manager set to a different value is
a 409 conflict unless `force=true`, which takes it over. Not modelled: co-ownership bookkeeping
beyond "the last writer of a field owns it", list-type maps on custom resources (their lists are
atomic here), and apply on subresources.
"""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from typing import Any

from devcluster import errors
from devcluster.managed_fields import Path, changed_paths, from_fields_v1
from devcluster.patching import merge_patch, strategic_merge_patch
from devcluster.reading import view
from devcluster.routing import Target
from devcluster.store import ObjectStore
from devcluster.validation import check_shape
from devcluster.watchers import Stored
from devcluster.write_mode import WriteMode


def _config(target: Target, document: Any) -> dict[str, Any]:
    check_shape(document)
    rtype = target.rtype
    if (document.get("apiVersion"), document.get("kind")) != (rtype.api_version, rtype.kind):
        raise errors.bad_request(
            f"the apply configuration must have apiVersion {rtype.api_version} and kind "
            f"{rtype.kind}, got {document.get('apiVersion')} {document.get('kind')}"
        )
    name = document.get("metadata", {}).get("name")
    if name != target.name:
        raise errors.bad_request(
            f"the name of the object ({name}) does not match the name on the URL ({target.name})"
        )
    namespace = document.get("metadata", {}).get("namespace")
    if rtype.namespaced and namespace not in (None, "", target.namespace):
        raise errors.bad_request(
            "the namespace of the provided object does not match the namespace sent on the request"
        )
    config: dict[str, Any] = document
    return config


def field_path(path: Path) -> str:
    """`.spec.containers[name="app"].image`, as conflict causes print it."""
    text = ""
    for part in path:
        if part.startswith("k:"):
            key = json.loads(part[2:])
            text += "[" + ",".join(f"{k}={json.dumps(v)}" for k, v in key.items()) + "]"
        else:
            text += "." + part.removeprefix("f:")
    return text


def value_at(obj: Any, path: Path) -> tuple[bool, Any]:
    current = obj
    for part in path:
        if part.startswith("k:") and isinstance(current, list):
            key = json.loads(part[2:])
            found = [e for e in current if isinstance(e, dict) and key.items() <= e.items()]
            if not found:
                return False, None
            current = found[0]
        elif part.startswith("f:") and isinstance(current, dict) and part[2:] in current:
            current = current[part[2:]]
        else:
            return False, None
    return True, current


def _remove_at(obj: Any, path: Path) -> None:
    found, parent = value_at(obj, path[:-1])
    last = path[-1]
    if found and isinstance(parent, dict) and last.startswith("f:"):
        parent.pop(last[2:], None)
    elif found and isinstance(parent, list) and last.startswith("k:"):
        key = json.loads(last[2:])
        parent[:] = [e for e in parent if not (isinstance(e, dict) and key.items() <= e.items())]


def _leaves(paths: frozenset[Path]) -> list[Path]:
    return sorted(p for p in paths if not any(q[: len(p)] == p and q != p for q in paths))


def _conflicts(
    current: dict[str, Any], config: dict[str, Any], applied: frozenset[Path], manager: str
) -> list[tuple[str, str, Path]]:
    found = []
    for entry in current["metadata"].get("managedFields") or []:
        if (entry.get("manager"), entry.get("operation")) == (manager, "Apply"):
            continue
        owned = from_fields_v1(entry.get("fieldsV1", {}))
        for path in _leaves(applied):
            if path in owned and value_at(current, path) != value_at(config, path):
                found.append((entry["manager"], entry.get("apiVersion", ""), path))
    return found


def _conflict_error(target: Target, conflicts: list[tuple[str, str, Path]]) -> errors.ApiError:
    causes = [
        errors.Cause("FieldManagerConflict", f'conflict with "{m}" using {v}', field_path(p))
        for m, v, p in conflicts
    ]
    if len(causes) == 1:
        summary = f"Apply failed with 1 conflict: {causes[0].message}: {causes[0].field}"
    else:
        listed = "\n".join(f"{c.message}: {c.field}" for c in causes)
        summary = f"Apply failed with {len(causes)} conflicts: {listed}"
    return errors.ApiError(
        code=409,
        reason="Conflict",
        message=summary,
        name=target.name,
        group=target.rtype.group or None,
        kind=target.rtype.plural,
        causes=causes,
    )


def applied_paths(config: dict[str, Any]) -> frozenset[Path]:
    body = {k: v for k, v in config.items() if k not in ("apiVersion", "kind", "status")}
    return frozenset(changed_paths(None, body))


def _previously_applied(current: dict[str, Any], manager: str) -> frozenset[Path]:
    for entry in current["metadata"].get("managedFields") or []:
        if (entry.get("manager"), entry.get("operation")) == (manager, "Apply"):
            return frozenset(from_fields_v1(entry.get("fieldsV1", {})))
    return frozenset()


def _merged(
    target: Target, current: dict[str, Any], config: dict[str, Any], manager: str
) -> dict[str, Any]:
    merge = merge_patch if target.rtype.custom else strategic_merge_patch
    merged: dict[str, Any] = merge(copy.deepcopy(current), config)
    stale = _previously_applied(current, manager) - applied_paths(config)
    for path in sorted(_leaves(stale), key=len, reverse=True):
        _remove_at(merged, path)
    return merged


def apply(
    store: ObjectStore, target: Target, document: Any, *, manager: str, force: bool, mode: WriteMode
) -> tuple[Stored, bool]:
    """Apply `document`; returns the stored object and whether it was created."""
    if target.subresource:
        raise errors.method_not_allowed()
    config = _config(target, document)
    applied = applied_paths(config)
    apply_mode = replace(mode, applied=applied)
    try:
        current = store.get(target.rtype, namespace=target.namespace, name=target.name)
    except errors.ApiError as exc:
        if exc.code != 404:
            raise
        created = store.create(
            target.rtype, config, namespace=target.namespace, manager=manager, mode=apply_mode
        )
        return created, True
    current_view = view(target.rtype, current)
    conflicts = [] if force else _conflicts(current_view, config, applied, manager)
    if conflicts:
        raise _conflict_error(target, conflicts)
    merged = _merged(target, current_view, config, manager)
    merged["metadata"]["resourceVersion"] = current.obj["metadata"]["resourceVersion"]
    stored = store.update(
        target.rtype,
        merged,
        namespace=target.namespace,
        name=target.name,
        manager=manager,
        mode=apply_mode,
    )
    return stored, False
