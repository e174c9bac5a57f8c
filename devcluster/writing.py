"""Write verbs: create (POST), update (PUT), patch (PATCH), delete, and the scale subresource.

Each turns the request into a full object and hands it to the store's single write path.
Patch content types follow the real server: merge and JSON patch everywhere, strategic merge
only on built-in kinds (415 on custom resources), server-side apply refused with 415.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml

from devcluster import errors
from devcluster.patching import (
    APPLY_PATCH,
    JSON_PATCH,
    MERGE_PATCH,
    STRATEGIC_MERGE_PATCH,
    json_patch,
    merge_patch,
    strategic_merge_patch,
)
from devcluster.reading import view
from devcluster.routing import Target
from devcluster.store import ObjectStore
from devcluster.watchers import Stored
from devcluster.write_mode import WriteMode

BODY_MEDIA = ("application/json", "application/yaml")


@dataclass(frozen=True)
class WriteOptions:
    manager: str
    mode: WriteMode


def write_options(query: dict[str, str], user_agent: str) -> WriteOptions:
    manager = query.get("fieldManager") or user_agent.split("/", maxsplit=1)[0] or "unknown"
    if len(manager) > 128:
        raise errors.bad_request("fieldManager: Too long: may not be longer than 128 characters")
    validation = query.get("fieldValidation", "Warn")
    if validation not in ("Strict", "Warn", "Ignore"):
        raise errors.bad_request(
            f'fieldValidation: Unsupported value: "{validation}": supported values: '
            '"Ignore", "Strict", "Warn"'
        )
    dry_run = query.get("dryRun", "")
    if dry_run not in ("", "All"):
        raise errors.bad_request(f'dryRun: Unsupported value: "{dry_run}": supported values: "All"')
    mode = WriteMode(strict=validation == "Strict", dry_run=dry_run == "All")
    return WriteOptions(manager=manager, mode=mode)


def decode_body(body: bytes, content_type: str) -> Any:
    media = content_type.split(";", maxsplit=1)[0].strip().lower()
    patches = (MERGE_PATCH, JSON_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH)
    if media not in BODY_MEDIA and media not in patches:
        raise errors.unsupported_media_type(content_type, list(BODY_MEDIA))
    try:
        if media in ("application/yaml", "application/apply-patch+yaml"):
            return yaml.safe_load(body)
        return json.loads(body)
    except (ValueError, yaml.YAMLError) as exc:
        raise errors.bad_request(f"error decoding request body: {exc}") from exc


def _object_body(target: Target, body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise errors.bad_request("the body of the request must be a JSON object")
    rtype = target.rtype
    api_version, kind = body.get("apiVersion"), body.get("kind")
    if (api_version, kind) != (rtype.api_version, rtype.kind) and (api_version or kind):
        raise errors.bad_request(
            f"the API version in the data ({api_version}) does not match the expected API "
            f"version ({rtype.api_version})"
            if api_version != rtype.api_version
            else f"the kind in the data ({kind}) does not match the expected kind ({rtype.kind})"
        )
    meta = body.get("metadata") or {}
    if not isinstance(meta, dict):
        raise errors.bad_request("metadata must be an object")
    if rtype.namespaced and meta.get("namespace") not in (None, "", target.namespace):
        raise errors.bad_request(
            "the namespace of the provided object does not match the namespace sent on the request"
        )
    return body


def create(store: ObjectStore, target: Target, body: Any, opts: WriteOptions) -> Stored:
    if target.name or target.subresource:
        raise errors.method_not_allowed()
    if target.rtype.namespaced and not target.namespace:
        raise errors.path_not_found()
    return store.create(
        target.rtype,
        _object_body(target, body),
        namespace=target.namespace,
        manager=opts.manager,
        mode=opts.mode,
    )


def update(store: ObjectStore, target: Target, body: Any, opts: WriteOptions) -> Stored:
    if target.subresource == "scale":
        if not isinstance(body, dict):
            raise errors.bad_request("the body of the request must be a JSON object")
        return _update_scale(store, target, body, opts)
    obj = _object_body(target, body)
    _check_conditional(target, obj)
    return store.update(
        target.rtype,
        obj,
        namespace=target.namespace,
        name=target.name,
        manager=opts.manager,
        subresource=target.subresource,
        mode=opts.mode,
    )


def _check_conditional(target: Target, obj: dict[str, Any]) -> None:
    """A PUT of a kind that refuses unconditional updates must carry a resourceVersion
    (apiserver `registry/generic/registry/store.go` Update: Invalid, not a blind overwrite)."""
    if target.rtype.unconditional_update or (obj.get("metadata") or {}).get("resourceVersion"):
        return
    cause = errors.Cause(
        "FieldValueInvalid",
        "Invalid value: 0x0: must be specified for an update",
        "metadata.resourceVersion",
    )
    rtype = target.rtype
    raise errors.invalid(kind=rtype.plural, group=rtype.group, name=target.name, causes=[cause])


def patch(
    store: ObjectStore, target: Target, body: bytes, content_type: str, opts: WriteOptions
) -> Stored:
    media = content_type.split(";", maxsplit=1)[0].strip().lower()
    accepted = [JSON_PATCH, MERGE_PATCH, APPLY_PATCH]
    if not target.rtype.custom:
        accepted.append(STRATEGIC_MERGE_PATCH)
    if media not in accepted or media == APPLY_PATCH:  # apply is handled by applying.py
        raise errors.unsupported_media_type(content_type, accepted)
    current = store.get(target.rtype, namespace=target.namespace, name=target.name)
    document = (
        scale_of(target, current) if target.subresource == "scale" else view(target.rtype, current)
    )
    patch_doc = decode_body(body, media)
    if media == MERGE_PATCH:
        patched = merge_patch(document, patch_doc)
    elif media == JSON_PATCH:
        patched = json_patch(document, patch_doc)
    else:
        patched = strategic_merge_patch(document, patch_doc)
    return update(store, target, patched, opts)


def delete(store: ObjectStore, target: Target, opts: WriteOptions) -> Stored:
    if target.subresource:
        raise errors.method_not_allowed()
    return store.delete(
        target.rtype, namespace=target.namespace, name=target.name, dry_run=opts.mode.dry_run
    )


def delete_status(target: Target, stored: Stored) -> dict[str, Any]:
    """The `Success` Status most kinds answer a DELETE with."""
    details: dict[str, Any] = {"name": target.name, "kind": target.rtype.plural}
    if target.rtype.group:
        details["group"] = target.rtype.group
    details["uid"] = stored.obj["metadata"]["uid"]
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": details,
    }


def scale_of(target: Target, stored: Stored) -> dict[str, Any]:
    """The autoscaling/v1 Scale view of a deployment."""
    obj = stored.obj
    meta = obj["metadata"]
    selector = (obj.get("spec", {}).get("selector") or {}).get("matchLabels") or {}
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            k: meta[k]
            for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp")
            if k in meta
        },
        "spec": {"replicas": obj.get("spec", {}).get("replicas", 0)},
        "status": {
            "replicas": obj.get("status", {}).get("replicas", 0),
            "selector": ",".join(f"{k}={v}" for k, v in sorted(selector.items())),
        },
    }


def _update_scale(
    store: ObjectStore, target: Target, scale: dict[str, Any], opts: WriteOptions
) -> Stored:
    current = store.get(target.rtype, namespace=target.namespace, name=target.name)
    replicas = (scale.get("spec") or {}).get("replicas")
    if not isinstance(replicas, int) or replicas < 0:
        cause = errors.Cause(
            "FieldValueInvalid",
            f"Invalid value: {json.dumps(replicas)}: must be greater than or equal to 0",
            "spec.replicas",
        )
        raise errors.invalid(kind="Scale", group="autoscaling", name=target.name, causes=[cause])
    wanted_rv = (scale.get("metadata") or {}).get("resourceVersion")
    obj = json.loads(current.raw)
    obj["spec"]["replicas"] = replicas
    if wanted_rv:
        obj["metadata"]["resourceVersion"] = wanted_rv
    return store.update(
        target.rtype,
        obj,
        namespace=target.namespace,
        name=target.name,
        manager=opts.manager,
        subresource="scale",
        mode=opts.mode,
    )
