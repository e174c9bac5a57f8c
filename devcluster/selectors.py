"""Label and field selectors with the grammar and errors of the real API server.

Label selectors: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`.
Field selectors: `f=v`, `f==v`, `f!=v` over the fields each resource type supports.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devcluster.errors import bad_request

_SET_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s+(in|notin)\s*\((.*)\)\s*$")
_EQ_RE = re.compile(r"^\s*([A-Za-z0-9_./-]+)\s*(==|!=|=)\s*([A-Za-z0-9_.-]*)\s*$")
_EXISTS_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*$")
_LABEL_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$"
)

Matcher = Callable[[dict[str, str]], bool]


@dataclass(frozen=True)
class LabelRequirement:
    key: str
    op: str
    values: frozenset[str]

    def matches(self, labels: dict[str, str]) -> bool:
        present = self.key in labels
        if self.op in ("=", "==", "in"):
            return present and labels[self.key] in self.values
        if self.op in ("!=", "notin"):
            return not present or labels[self.key] not in self.values
        if self.op == "exists":
            return present
        return not present


@dataclass(frozen=True)
class LabelSelector:
    requirements: tuple[LabelRequirement, ...]

    def matches(self, labels: dict[str, str] | None) -> bool:
        found = labels or {}
        return all(r.matches(found) for r in self.requirements)


def _split_top_level(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def _parse_requirement(text: str) -> LabelRequirement:
    if match := _SET_RE.match(text):
        negated, key, op, raw_values = match.groups()
        if negated:
            raise bad_request(f"unable to parse requirement: {text}")
        values = frozenset(v.strip() for v in raw_values.split(",") if v.strip())
        return _checked(LabelRequirement(key, op, values), text)
    if match := _EQ_RE.match(text):
        key, op, value = match.groups()
        return _checked(LabelRequirement(key, op, frozenset({value})), text)
    if match := _EXISTS_RE.match(text):
        negated, key = match.groups()
        return _checked(LabelRequirement(key, "!" if negated else "exists", frozenset()), text)
    raise bad_request(f"unable to parse requirement: {text}")


def _checked(requirement: LabelRequirement, text: str) -> LabelRequirement:
    if not _LABEL_KEY.match(requirement.key):
        raise bad_request(
            f"unable to parse requirement: {text}: invalid label key {requirement.key!r}"
        )
    return requirement


def parse_label_selector(text: str | None) -> LabelSelector:
    """Parse `?labelSelector=`; raise a 400 BadRequest Status when it does not parse."""
    if not text:
        return LabelSelector(())
    return LabelSelector(tuple(_parse_requirement(p) for p in _split_top_level(text)))


@dataclass(frozen=True)
class FieldRequirement:
    path: str
    negated: bool
    value: str

    def matches(self, obj: dict[str, Any]) -> bool:
        return (field_value(obj, self.path) == self.value) != self.negated


@dataclass(frozen=True)
class FieldSelector:
    requirements: tuple[FieldRequirement, ...]

    def matches(self, obj: dict[str, Any]) -> bool:
        return all(r.matches(obj) for r in self.requirements)

    def value_of(self, path: str) -> str | None:
        """The value this selector pins `path` to with `=`, if it does."""
        for req in self.requirements:
            if req.path == path and not req.negated:
                return req.value
        return None


def field_value(obj: dict[str, Any], path: str) -> str:
    """A field's value rendered as the server compares it (missing is the empty string)."""
    current: Any = obj
    for part in path.split("."):
        current = current.get(part) if isinstance(current, dict) else None
    if current is None:
        return ""
    if isinstance(current, bool):
        return "true" if current else "false"
    if isinstance(current, dict):
        return str(current.get("component", ""))
    return str(current)


def parse_field_selector(
    text: str | None, *, supported: tuple[str, ...], aliases: dict[str, str]
) -> FieldSelector:
    """Parse `?fieldSelector=` against the fields a resource supports (400 when not)."""
    if not text:
        return FieldSelector(())
    requirements = []
    for part in text.split(","):
        path, negated, value = _split_field_term(part)
        path = aliases.get(path, path)
        if path not in ("metadata.name", "metadata.namespace", *supported):
            raise bad_request(f"field label not supported: {path}")
        requirements.append(FieldRequirement(path, negated, value))
    return FieldSelector(tuple(requirements))


def _split_field_term(term: str) -> tuple[str, bool, str]:
    for op in ("!=", "==", "="):
        if op in term:
            path, value = term.split(op, 1)
            return path.strip(), op == "!=", value.strip()
    raise bad_request(f"invalid selector: '{term}'; can't understand '{term}'")
