"""The server-side rules applied to an object on create and update, before it is stored.

Pure functions: uid, creationTimestamp, generateName, generation bumps on spec changes,
status only through `/status` for kinds with a status subresource, immutable metadata.
"""

from __future__ import annotations

import copy
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from devcluster.errors import ApiError, Cause, bad_request, conflict, invalid
from devcluster.resources import ResourceType

_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_IMMUTABLE_META = ("uid", "creationTimestamp", "deletionTimestamp", "generation", "namespace")


def now_rfc3339() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _spec_part(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "apiVersion", "kind")}


def _stamp_type(rtype: ResourceType, obj: dict[str, Any]) -> None:
    """apiVersion and kind of the storage form (a converter sets them for other versions)."""
    if rtype.to_storage is None:
        obj["apiVersion"] = rtype.api_version
    obj["kind"] = rtype.kind


def prepare_create(
    rtype: ResourceType, obj: dict[str, Any], *, namespace: str, now: str
) -> dict[str, Any]:
    """The object as the server stores it on create (without resourceVersion)."""
    new = copy.deepcopy(obj)
    _stamp_type(rtype, new)
    meta = new.setdefault("metadata", {})
    if not meta.get("name") and meta.get("generateName"):
        suffix = "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(5))
        meta["name"] = f"{meta['generateName']}{suffix}"
    if not meta.get("name"):
        raise _name_required(rtype)
    if meta.get("resourceVersion"):
        raise bad_request("resourceVersion should not be set on objects to be created")
    for key in ("deletionTimestamp", "managedFields", "selfLink"):
        meta.pop(key, None)
    if rtype.namespaced:
        meta["namespace"] = namespace
    else:
        meta.pop("namespace", None)
    meta["uid"] = str(uuid.uuid4())
    meta["creationTimestamp"] = now
    if rtype.tracks_generation:
        meta["generation"] = 1
    if rtype.status_subresource and rtype.plural != "nodes":
        new.pop("status", None)
    _apply_builtin_defaults(rtype, new)
    return new


def _name_required(rtype: ResourceType) -> ApiError:
    cause = Cause(
        "FieldValueRequired", "Required value: name or generateName is required", "metadata.name"
    )
    return invalid(kind=rtype.kind, group=rtype.group, name="", causes=[cause])


def _apply_builtin_defaults(rtype: ResourceType, obj: dict[str, Any]) -> None:
    if rtype.plural == "namespaces":
        obj.setdefault("spec", {"finalizers": ["kubernetes"]})
        obj["status"] = {"phase": "Active"}
        obj["metadata"].setdefault("labels", {})["kubernetes.io/metadata.name"] = obj["metadata"][
            "name"
        ]
    elif rtype.plural == "pods":
        obj["status"] = {"phase": "Pending"}
    elif rtype.plural == "deployments":
        obj.setdefault("spec", {}).setdefault("replicas", 1)


def prepare_update(
    rtype: ResourceType, old: dict[str, Any], new: dict[str, Any], *, subresource: str
) -> dict[str, Any]:
    """The object as the server stores it after an update of `old` with `new`."""
    if subresource == "status":
        merged = copy.deepcopy(old)
        if "status" in new:
            merged["status"] = copy.deepcopy(new["status"])
        else:
            merged.pop("status", None)
        return merged
    merged = copy.deepcopy(new)
    _stamp_type(rtype, merged)
    _keep_immutable_meta(old, merged)
    if rtype.status_subresource:
        if "status" in old:
            merged["status"] = copy.deepcopy(old["status"])
        else:
            merged.pop("status", None)
    if rtype.tracks_generation and _spec_part(old) != _spec_part(merged):
        merged["metadata"]["generation"] = int(old["metadata"].get("generation", 1)) + 1
    return merged


def _keep_immutable_meta(old: dict[str, Any], new: dict[str, Any]) -> None:
    meta = new.setdefault("metadata", {})
    if meta.get("name", old["metadata"]["name"]) != old["metadata"]["name"]:
        raise bad_request(
            f"the name of the object ({meta.get('name')}) does not match the name on the URL "
            f"({old['metadata']['name']})"
        )
    meta["name"] = old["metadata"]["name"]
    for key in _IMMUTABLE_META:
        if key in old["metadata"]:
            meta[key] = old["metadata"][key]
        else:
            meta.pop(key, None)


def same_content(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Equal apart from the fields the server rewrites on every write."""
    ignored = ("managedFields", "resourceVersion")
    old_meta = {k: v for k, v in old["metadata"].items() if k not in ignored}
    new_meta = {k: v for k, v in new["metadata"].items() if k not in ignored}
    rest = ("metadata",)
    return old_meta == new_meta and {k: v for k, v in old.items() if k not in rest} == {
        k: v for k, v in new.items() if k not in rest
    }


def check_preconditions(
    rtype: ResourceType, current: dict[str, Any], incoming: dict[str, Any]
) -> None:
    """A stale resourceVersion or another object's uid in an update is a 409 Conflict."""
    meta = incoming.get("metadata", {})
    name = current["metadata"]["name"]
    wanted_rv = meta.get("resourceVersion")
    if wanted_rv and wanted_rv != current["metadata"]["resourceVersion"]:
        raise conflict(resource=rtype.plural, group=rtype.group, name=name)
    wanted_uid = meta.get("uid")
    if wanted_uid and wanted_uid != current["metadata"]["uid"]:
        raise ApiError(
            code=409,
            reason="Conflict",
            message=(
                f'Operation cannot be fulfilled on {rtype.group_resource} "{name}": Precondition '
                f"failed: UID in precondition: {wanted_uid}, UID in object meta: "
                f"{current['metadata']['uid']}"
            ),
            name=name,
            group=rtype.group or None,
            kind=rtype.plural,
        )
