"""Schema validation of custom resources against their CRD openAPIV3Schema.

Reproduces what the API server does with a structural schema: drop `null`s, prune (or, with
`fieldValidation=Strict`, refuse) fields the schema does not declare, then validate and report
each failure as a `Status` cause with the server's wording, e.g. `spec.analysis.interval:
Invalid value: "1h": spec.analysis.interval in body should match '^[0-9]+(m|s)'`.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError

from devcluster import builtin_schemas
from devcluster.errors import Cause, bad_request, invalid
from devcluster.resources import ResourceType

_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
"""Used with `fullmatch` only: `$` would also match before a trailing newline."""


def is_dns_label(name: str) -> bool:
    """A DNS-1123 label (namespaces): at most 63 characters."""
    return len(name) <= 63 and _DNS_LABEL.fullmatch(name) is not None


def is_dns_subdomain(name: str) -> bool:
    """A DNS-1123 subdomain (most object names): at most 253 characters."""
    return len(name) <= 253 and _DNS_SUBDOMAIN.fullmatch(name) is not None


_JSON_TYPES = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "boolean",
    dict: "object",
    list: "array",
}


@dataclass
class Pruned:
    """An object with undeclared fields removed, and the paths that were removed."""

    obj: dict[str, Any]
    unknown: list[str] = field(default_factory=list)


@dataclass
class SchemaValidator:
    """Validates custom resources; caches one compiled validator per resource type."""

    _compiled: dict[str, Draft4Validator] = field(default_factory=dict)

    def prepare(self, rtype: ResourceType, obj: dict[str, Any], *, strict: bool) -> Pruned:
        """Drop nulls and undeclared fields; with `strict`, undeclared fields are a 400."""
        if not rtype.custom:
            pruned = _prune_builtin(rtype, obj)
        elif rtype.schema is None:
            return Pruned(obj)
        else:
            pruned = Pruned({})
            pruned.obj = _prune(obj, rtype.schema, "", pruned.unknown, root=True)
        if strict and pruned.unknown:
            listed = ", ".join(f'unknown field "{p}"' for p in pruned.unknown)
            raise _cannot_handle(rtype, f"strict decoding error: {listed}")
        return pruned

    def default(self, rtype: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
        """Fill schema defaults into `obj` (in place; returned for convenience)."""
        if rtype.schema is not None:
            apply_defaults(obj, _without_metadata(rtype.schema))
        return obj

    def validate(self, rtype: ResourceType, obj: dict[str, Any]) -> None:
        """Raise a 422 Invalid Status listing every schema violation."""
        name = str(obj.get("metadata", {}).get("name", ""))
        causes = validate_name(rtype, obj)
        if rtype.schema is not None:
            causes += schema_causes(self._validator(rtype), obj)
        elif not rtype.custom:
            causes += _builtin_causes(rtype, obj)
        if causes:
            raise invalid(kind=rtype.kind, group=rtype.group, name=name, causes=causes)

    def _validator(self, rtype: ResourceType) -> Draft4Validator:
        key = f"{rtype.group_resource}/{rtype.version}"
        if key not in self._compiled:
            self._compiled[key] = Draft4Validator(_without_metadata(rtype.schema or {}))
        return self._compiled[key]


def _cannot_handle(rtype: ResourceType, detail: str) -> Exception:
    return bad_request(
        f'{rtype.kind} in version "{rtype.version}" cannot be handled as a {rtype.kind}: {detail}'
    )


def _prune_builtin(rtype: ResourceType, obj: dict[str, Any]) -> Pruned:
    """Nulls and the fields Kubernetes 1.32 does not declare for the kind, removed."""
    clean = builtin_schemas.drop_nulls(obj)
    unknown = builtin_schemas.unknown_fields(clean, api_version=rtype.api_version, kind=rtype.kind)
    builtin_schemas.remove_fields(clean, unknown)
    return Pruned(clean, [u.path for u in unknown])


def _builtin_causes(rtype: ResourceType, obj: dict[str, Any]) -> list[Cause]:
    """The 1.32 schema's verdict: a wrong JSON type is a 400 (Go's decoder), the rest 422s."""
    if builtin_schemas.conforms(obj, api_version=rtype.api_version, kind=rtype.kind):
        return []
    validator = builtin_schemas.validator_for(
        api_version=rtype.api_version, kind=rtype.kind, strict=False
    )
    if validator is None:
        return []
    errors = list(validator.iter_errors(obj))
    wrong = builtin_schemas.wrong_types(errors)
    if wrong:
        first = wrong[0]
        raise _cannot_handle(
            rtype,
            f"json: cannot unmarshal {first.actual} into Go struct field {first.path} "
            f"of type {first.expected}",
        )
    errors.sort(key=lambda e: _field_path(e.absolute_path))
    return [cause for error in errors for cause in _causes(error)]


_META_SHAPES: dict[str, tuple[type, str]] = {
    "name": (str, "string"),
    "generateName": (str, "string"),
    "namespace": (str, "string"),
    "labels": (dict, "map[string]string"),
    "annotations": (dict, "map[string]string"),
    "finalizers": (list, "[]string"),
    "ownerReferences": (list, "[]v1.OwnerReference"),
    "resourceVersion": (str, "string"),
}


def check_shape(obj: Any) -> None:
    """Reject bodies that would not even decode on the real server (400 BadRequest)."""
    if not isinstance(obj, dict):
        raise bad_request("the body of the request must be a JSON object")
    meta = obj.get("metadata", {})
    if not isinstance(meta, dict):
        raise _decode_error("metadata", "v1.ObjectMeta", meta)
    for key, (kind, go_type) in _META_SHAPES.items():
        if meta.get(key) is not None and not isinstance(meta[key], kind):
            raise _decode_error(f"metadata.{key}", go_type, meta[key])
    for key in ("labels", "annotations"):
        values = meta.get(key) or {}
        if any(not isinstance(v, str) for v in values.values()):
            raise _decode_error(f"metadata.{key}", "map[string]string", values)
    if any(not isinstance(f, str) for f in meta.get("finalizers") or []):
        raise _decode_error("metadata.finalizers", "[]string", meta["finalizers"])
    for key in ("spec", "status"):
        if obj.get(key) is not None and not isinstance(obj[key], dict):
            raise _decode_error(key, "object", obj[key])


def _decode_error(field_path: str, go_type: str, value: Any) -> Exception:
    actual = _JSON_TYPES.get(type(value), "null")
    return bad_request(
        f"json: cannot unmarshal {actual} into Go struct field {field_path} of type {go_type}"
    )


def validate_name(rtype: ResourceType, obj: dict[str, Any]) -> list[Cause]:
    """The object-name rules: DNS labels for namespaces, DNS subdomains otherwise."""
    name = obj.get("metadata", {}).get("name", "")
    check, what, example = (
        (is_dns_label, "RFC 1123 label", "my-name")
        if rtype.plural == "namespaces"
        else (is_dns_subdomain, "RFC 1123 subdomain", "example.com")
    )
    if isinstance(name, str) and check(name):
        return []
    message = (
        f"Invalid value: {json.dumps(name)}: a lowercase {what} must consist of lower case "
        "alphanumeric characters, '-' or '.', and must start and end with an alphanumeric "
        f"character (e.g. '{example}')"
    )
    return [Cause("FieldValueInvalid", message, "metadata.name")]


def _without_metadata(schema: dict[str, Any]) -> dict[str, Any]:
    properties = dict(schema.get("properties", {}))
    properties.pop("metadata", None)
    return {**schema, "properties": properties}


def schema_causes(validator: Draft4Validator, obj: dict[str, Any]) -> list[Cause]:
    errors = sorted(validator.iter_errors(obj), key=lambda e: _field_path(e.absolute_path))
    return [cause for error in errors for cause in _causes(error)]


def _field_path(parts: Iterable[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _render(value: Any) -> str:
    if isinstance(value, dict):
        return '"object"'
    if isinstance(value, list):
        return '"array"'
    return json.dumps(value)


def _causes(error: ValidationError) -> list[Cause]:
    path = _field_path(error.absolute_path)
    value: Any = error.instance
    kind = error.validator
    limit: Any = error.validator_value
    if kind == "required":
        missing = [p for p in limit if p not in (value or {})]
        return [
            Cause("FieldValueRequired", "Required value", f"{path}.{m}" if path else m)
            for m in missing
        ]
    if kind == "type":
        actual = _JSON_TYPES.get(type(value), "null")
        message = (
            f'Invalid value: "{actual}": {path} in body must be of type '
            f'{error.validator_value}: "{actual}"'
        )
        return [Cause("FieldValueTypeInvalid", message, path)]
    if kind == "enum":
        allowed = ", ".join(json.dumps(v) for v in limit)
        message = f"Unsupported value: {_render(value)}: supported values: {allowed}"
        return [Cause("FieldValueNotSupported", message, path)]
    if kind in ("oneOf", "anyOf"):
        return _combinator_causes(error, path)
    message = f"Invalid value: {_render(value)}: {_explain(error, path)}"
    return [Cause("FieldValueInvalid", message, path)]


def _combinator_causes(error: ValidationError, path: str) -> list[Cause]:
    """Like kube-openapi: the combinator failure, then the closest alternative's errors."""
    wording = (
        "must validate one and only one schema (oneOf). Found none valid"
        if error.validator == "oneOf"
        else "must validate at least one schema (anyOf)"
    )
    head = Cause("FieldValueInvalid", f"Invalid value: {_render(error.instance)}: {wording}", path)
    by_branch: dict[Any, list[ValidationError]] = {}
    for sub in error.context or []:
        by_branch.setdefault(sub.schema_path[0] if sub.schema_path else 0, []).append(sub)
    if not by_branch:
        return [head]
    closest = min(by_branch.values(), key=len)
    return [head] + [c for sub in closest for c in _causes(sub)]


def _explain(error: ValidationError, path: str) -> str:
    limit = error.validator_value
    wording = {
        "pattern": f"should match '{limit}'",
        "minimum": f"should be greater than or equal to {limit}",
        "maximum": f"should be less than or equal to {limit}",
        "minLength": f"should be at least {limit} chars long",
        "maxLength": f"should be at most {limit} chars long",
        "minItems": f"should have at least {limit} items",
        "maxItems": f"must have at most {limit} items",
    }
    detail = wording.get(str(error.validator))
    return f"{path} in body {detail}" if detail else error.message


def apply_defaults(value: Any, schema: dict[str, Any]) -> Any:
    """Structural defaulting: fill missing fields of existing maps from schema `default`s."""
    if isinstance(value, dict):
        properties = schema.get("properties") or {}
        for key, sub in properties.items():
            if key not in value and "default" in sub:
                value[key] = copy.deepcopy(sub["default"])
            if key in value:
                value[key] = apply_defaults(value[key], sub)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key in [k for k in value if k not in properties]:
                value[key] = apply_defaults(value[key], extra)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [apply_defaults(v, schema["items"]) for v in value]
    return value


def _prune(
    value: Any, schema: dict[str, Any], path: str, unknown: list[str], *, root: bool = False
) -> Any:
    if isinstance(value, dict):
        return _prune_map(value, schema, path, unknown, root=root)
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [_prune(v, schema["items"], f"{path}[{i}]", unknown) for i, v in enumerate(value)]
    return value


def _prune_map(
    value: dict[str, Any], schema: dict[str, Any], path: str, unknown: list[str], *, root: bool
) -> dict[str, Any]:
    properties = schema.get("properties")
    extra = schema.get("additionalProperties")
    keeps_all = schema.get("x-kubernetes-preserve-unknown-fields") or (
        properties is None and not isinstance(extra, dict)
    )
    result: dict[str, Any] = {}
    for key, child in value.items():
        child_path = f"{path}.{key}" if path else key
        sub = (properties or {}).get(key)
        if child is None and not (sub or {}).get("nullable"):
            continue
        if root and key in ("apiVersion", "kind", "metadata"):
            result[key] = child
        elif sub is not None:
            result[key] = _prune(child, sub, child_path, unknown)
        elif isinstance(extra, dict):
            result[key] = _prune(child, extra, child_path, unknown)
        elif keeps_all:
            result[key] = child
        else:
            unknown.append(child_path)
    return result
