"""Kubernetes 1.32 schemas for the built-in kinds, as the real API server applies them.

The schemas are the ones kubernetes-validate ships (generated from the Kubernetes 1.32 OpenAPI
document); the "strict" variant closes every object (`additionalProperties: false`), which is how
unknown fields are found. The API server's own decoding is reproduced in three steps:

- unknown fields: dropped with a warning, or with `fieldValidation=Strict` a 400
  `strict decoding error: unknown field "spec.foo"`;
- a value of the wrong JSON type: a 400 `json: cannot unmarshal string into Go struct field ...`,
  as Go's decoder refuses it before any validation runs;
- everything else the schema declares (required fields, enums, formats): 422 Invalid causes.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

KUBERNETES_VERSION = "1.32.0"
_PACKAGE = "kubernetes_validate"
_JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean"}
_JSON_TYPES |= {dict: "object", list: "array"}


@dataclass(frozen=True)
class Unknown:
    """An undeclared field: its path as the server prints it, and where to delete it."""

    path: str
    parent: tuple[str | int, ...]
    key: str


@dataclass(frozen=True)
class WrongType:
    """A value whose JSON type the Go decoder would refuse."""

    path: str
    actual: str
    expected: str


def _schema_dir(*, strict: bool) -> Any:
    suffix = "-local-strict" if strict else "-local"
    root = resources.files(_PACKAGE).joinpath("kubernetes-json-schema")
    return root.joinpath(f"v{KUBERNETES_VERSION}{suffix}")


def _file_name(*, api_version: str, kind: str) -> str:
    group, _, version = api_version.rpartition("/")
    prefix = f"{group.split('.')[0]}-" if group else ""
    return f"{kind.lower()}-{prefix}{version}.json"


@functools.cache
def _definitions(*, strict: bool) -> Resource[Any]:
    text = _schema_dir(strict=strict).joinpath("_definitions.json").read_text()
    return Resource.from_contents(json.loads(text))


@functools.cache
def validator_for(*, api_version: str, kind: str, strict: bool) -> Draft202012Validator | None:
    """The compiled validator of one built-in kind, or None when 1.32 has no such kind."""
    path = _schema_dir(strict=strict).joinpath(_file_name(api_version=api_version, kind=kind))
    if not path.is_file():
        return None
    schema = json.loads(path.read_text())
    registry: Registry[Any] = _definitions(strict=strict) @ (
        Resource.from_contents(schema) @ Registry()
    )
    return Draft202012Validator(schema, registry=registry)


def field_path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def unknown_fields(obj: dict[str, Any], *, api_version: str, kind: str) -> list[Unknown]:
    """Every field of `obj` the kind's 1.32 schema does not declare."""
    schema = inlined_schema(api_version=api_version, kind=kind, strict=True)
    if schema is None:
        return []
    found: list[Unknown] = []
    _walk(obj, schema, (), [], found)
    return sorted(found, key=lambda u: u.path)


def conforms(obj: dict[str, Any], *, api_version: str, kind: str) -> bool:
    """True when `obj` satisfies the kind's (open) 1.32 schema: the fast path of every write.

    A pure walk of the object along the schema (types, enums, required, oneOf); only when it
    finds a problem does jsonschema run to word the errors (it is ten times slower)."""
    schema = inlined_schema(api_version=api_version, kind=kind, strict=False)
    if schema is None:
        return True
    problems: list[str] = []
    _walk(obj, schema, (), problems, [])
    return not problems


@functools.cache
def inlined_schema(*, api_version: str, kind: str, strict: bool) -> dict[str, Any] | None:
    """The kind's schema with every `$ref` replaced by the (shared) definition it names."""
    path = _schema_dir(strict=strict).joinpath(_file_name(api_version=api_version, kind=kind))
    if not path.is_file():
        return None
    definitions = _definitions(strict=strict).contents["$defs"]
    return _inline(json.loads(path.read_text()), definitions, {})


def _inline(node: Any, definitions: dict[str, Any], done: dict[str, dict[str, Any]]) -> Any:
    if isinstance(node, list):
        return [_inline(item, definitions, done) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[1]
        if name not in done:
            done[name] = {}
            done[name].update(_inline(definitions[name], definitions, done))
        return done[name]
    skip = ("description", "x-kubernetes-group-version-kind")
    return {k: _inline(v, definitions, done) for k, v in node.items() if k not in skip}


_TYPE_CHECKS = {
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool))
        or (isinstance(v, float) and v.is_integer())
    ),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
}


def _type_ok(value: Any, declared: Any) -> bool:
    names = declared if isinstance(declared, list) else [declared]
    return any(_TYPE_CHECKS[name](value) for name in names)


def _walk(
    value: Any,
    schema: dict[str, Any],
    at: tuple[str | int, ...],
    problems: list[str],
    unknown: list[Unknown],
) -> None:
    if "type" in schema and not _type_ok(value, schema["type"]):
        problems.append(field_path(at))
        return
    if "enum" in schema and value not in schema["enum"]:
        problems.append(field_path(at))
    if "oneOf" in schema and sum(_fits(value, branch) for branch in schema["oneOf"]) != 1:
        problems.append(field_path(at))
    if isinstance(value, dict):
        _walk_map(value, schema, at, problems, unknown)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, item in enumerate(value):
            _walk(item, schema["items"], (*at, index), problems, unknown)


def _walk_map(
    value: dict[str, Any],
    schema: dict[str, Any],
    at: tuple[str | int, ...],
    problems: list[str],
    unknown: list[Unknown],
) -> None:
    problems.extend(
        field_path((*at, key)) for key in schema.get("required", ()) if key not in value
    )
    properties = schema.get("properties") or {}
    extra = schema.get("additionalProperties")
    for key, child in value.items():
        if key in properties:
            _walk(child, properties[key], (*at, key), problems, unknown)
        elif isinstance(extra, dict):
            _walk(child, extra, (*at, key), problems, unknown)
        elif extra is False:
            unknown.append(Unknown(field_path((*at, key)), at, key))


def _fits(value: Any, schema: dict[str, Any]) -> bool:
    problems: list[str] = []
    _walk(value, schema, (), problems, [])
    return not problems


def remove_fields(obj: dict[str, Any], unknown: list[Unknown]) -> None:
    for field in unknown:
        holder: Any = obj
        for part in field.parent:
            holder = holder[part]
        holder.pop(field.key, None)


def wrong_types(errors: list[ValidationError]) -> list[WrongType]:
    found = []
    for error in _leaf_errors(errors):
        if error.validator == "type":
            expected = error.validator_value
            names = (
                [t for t in expected if t != "null"] if isinstance(expected, list) else [expected]
            )
            actual = _JSON_TYPES.get(type(error.instance), "null")
            found.append(WrongType(field_path(error.absolute_path), actual, "|".join(names)))
    return found


def _leaf_errors(errors: Any) -> list[ValidationError]:
    """Errors with oneOf/anyOf failures replaced by their closest alternative's errors."""
    out: list[ValidationError] = []
    for error in errors:
        if error.validator in ("oneOf", "anyOf") and error.context:
            by_branch: dict[Any, list[ValidationError]] = {}
            for sub in error.context:
                by_branch.setdefault(sub.schema_path[0], []).append(sub)
            out.extend(_leaf_errors(min(by_branch.values(), key=len)))
        else:
            out.append(error)
    return out


def drop_nulls(value: Any) -> Any:
    """Go's decoder reads a JSON null as the zero value: the stored object has no such field."""
    if isinstance(value, dict):
        return {k: drop_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [drop_nulls(v) for v in value]
    return value
