"""The three PATCH flavours the API server accepts, applied to plain JSON objects.

- JSON merge patch (RFC 7386): maps merge, `null` deletes, lists replace.
- JSON patch (RFC 6902): add, remove, replace, move, copy, test.
- Strategic merge patch (built-in kinds only): like merge patch, but lists of named things
  (containers, env, ports, volumes, conditions...) merge by their key, and `$patch: delete`
  entries remove one element.
Failures raise an ApiError shaped like the real server's answer.
"""

from __future__ import annotations

import copy
from typing import Any

from devcluster.errors import ApiError, bad_request

MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"

# Lists that strategic merge patch merges element-wise, by the key named here (the Go types'
# `patchMergeKey`). `ports` depends on where it sits: a container's merge by containerPort, a
# Service's by port (core/v1 ServiceSpec), and any other (NetworkPolicy rules, Ingress...) has
# no merge strategy, so the patch's list replaces it.
STRATEGIC_MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "imagePullSecrets": "name",
    "conditions": "type",
    "hostAliases": "ip",
}
CONTAINER_LISTS = ("containers", "initContainers", "ephemeralContainers")


def merge_key(key: str, parent: str) -> str | None:
    """The merge key of list field `key` inside a map that sits under field `parent`."""
    if key == "ports":
        if parent in CONTAINER_LISTS:
            return "containerPort"
        return "port" if parent == "spec" else None
    return STRATEGIC_MERGE_KEYS.get(key)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def strategic_merge_patch(target: Any, patch: Any, *, parent: str = "") -> Any:
    """A faithful-enough strategic merge: named lists merge by key, other lists replace.
    `parent` is the field the map sits under (it decides the merge key of `ports`)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    if patch.get("$patch") == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if key.startswith("$"):
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, list) and (key_of_list := merge_key(key, parent)) is not None:
            result[key] = _merge_list(result.get(key), value, key_of_list, field=key)
        else:
            result[key] = strategic_merge_patch(result.get(key), value, parent=key)
    return result


def _merge_list(current: Any, patch: list[Any], key_name: str, *, field: str) -> list[Any]:
    merged = [copy.deepcopy(e) for e in current] if isinstance(current, list) else []
    for element in patch:
        if not isinstance(element, dict) or key_name not in element:
            raise bad_request(f"map: {element!r} does not contain declared merge key: {key_name}")
        index = next(
            (i for i, e in enumerate(merged) if e.get(key_name) == element[key_name]), None
        )
        if element.get("$patch") == "delete":
            if index is not None:
                merged.pop(index)
        elif index is None:
            merged.append(strategic_merge_patch({}, element, parent=field))
        else:
            merged[index] = strategic_merge_patch(merged[index], element, parent=field)
    return merged


def json_patch(target: Any, operations: Any) -> Any:
    """RFC 6902 JSON patch; a failed operation is a 422 like the real server's."""
    if not isinstance(operations, list):
        raise bad_request("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    document = copy.deepcopy(target)
    for operation in operations:
        document = _apply_operation(document, operation)
    return document


def _patch_failure(detail: str) -> ApiError:
    return ApiError(
        code=422,
        reason="Invalid",
        message=f"the server rejected our request due to an error in our request: {detail}",
    )


def _pointer(path: Any) -> list[str]:
    if not isinstance(path, str) or (path and not path.startswith("/")):
        raise _patch_failure(f"invalid JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]]


def _apply_operation(doc: Any, operation: Any) -> Any:
    if not isinstance(operation, dict) or "op" not in operation:
        raise _patch_failure(f"unexpected operation {operation!r}")
    op = operation["op"]
    if op == "add":
        return _add(doc, _pointer(operation.get("path")), operation.get("value"))
    if op == "remove":
        _remove(doc, _pointer(operation.get("path")))
        return doc
    if op == "replace":
        parts = _pointer(operation.get("path"))
        _get(doc, parts)
        if not parts:
            return copy.deepcopy(operation.get("value"))
        _remove(doc, parts)
        return _add(doc, parts, operation.get("value"))
    if op in ("move", "copy"):
        source = _pointer(operation.get("from"))
        value = copy.deepcopy(_get(doc, source))
        if op == "move":
            _remove(doc, source)
        return _add(doc, _pointer(operation.get("path")), value)
    if op == "test":
        parts = _pointer(operation.get("path"))
        if _get(doc, parts) != operation.get("value"):
            raise _patch_failure(f"testing value {operation.get('path')} failed")
        return doc
    raise _patch_failure(f"Unexpected kind: {op}")


def _get(doc: Any, parts: list[str]) -> Any:
    current = doc
    for part in parts:
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            raise _patch_failure(f"doc is missing path: /{'/'.join(parts)}")
    return current


def _add(doc: Any, parts: list[str], value: Any) -> Any:
    if not parts:
        return copy.deepcopy(value)
    parent = _get(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, dict):
        parent[last] = copy.deepcopy(value)
    elif isinstance(parent, list):
        index = len(parent) if last == "-" else _index(last, len(parent) + 1)
        parent.insert(index, copy.deepcopy(value))
    else:
        raise _patch_failure(f"doc is missing path: /{'/'.join(parts)}")
    return doc


def _remove(doc: Any, parts: list[str]) -> None:
    if not parts:
        raise _patch_failure("cannot remove the whole document")
    parent = _get(doc, parts[:-1])
    last = parts[-1]
    if isinstance(parent, dict) and last in parent:
        del parent[last]
    elif isinstance(parent, list):
        parent.pop(_index(last, len(parent)))
    else:
        raise _patch_failure(f"unable to remove nonexistent key: {last}: missing value")


def _index(text: str, limit: int) -> int:
    if not text.isdigit() or int(text) >= limit:
        raise _patch_failure(f"Unable to access invalid index: {text}")
    return int(text)
