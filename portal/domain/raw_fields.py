"""Typed reads from JSON-decoded Kubernetes objects.

The portal keeps list/watch results as raw dicts (decoding into generated models is ~15x slower).
Fields may be absent, null or, for numbers Flagger writes as `type: number`, floats; these helpers
read them once, with the zero value Kubernetes and Flagger assume for an absent field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any


def mapping_at(obj: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """The object under `key`, or an empty mapping when absent, null or not an object."""
    value = obj.get(key)
    return value if isinstance(value, Mapping) else {}


def list_at(obj: Mapping[str, Any], key: str) -> Sequence[Any]:
    """The list under `key`, or an empty tuple when absent, null or not a list."""
    value = obj.get(key)
    return value if isinstance(value, list | tuple) else ()


def str_at(obj: Mapping[str, Any], key: str, *, default: str = "") -> str:
    """The string under `key`, or `default` when absent, null or empty."""
    value = obj.get(key)
    return value if isinstance(value, str) and value else default


def optional_str_at(obj: Mapping[str, Any], key: str) -> str | None:
    """The string under `key`, or None when absent, null or empty."""
    value = str_at(obj, key)
    return value or None


def int_at(obj: Mapping[str, Any], key: str, *, default: int = 0) -> int:
    """The integer under `key` (JSON numbers may arrive as floats), or `default`."""
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return int(value)


def optional_int_at(obj: Mapping[str, Any], key: str) -> int | None:
    """The integer under `key`, or None when absent or not a number."""
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value)


def optional_float_at(obj: Mapping[str, Any], key: str) -> float | None:
    """The number under `key` as a float, or None when absent or not a number."""
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def bool_at(obj: Mapping[str, Any], key: str) -> bool:
    """True only when `key` holds JSON `true`."""
    return obj.get(key) is True


def time_at(obj: Mapping[str, Any], key: str) -> datetime | None:
    """The RFC 3339 timestamp under `key` (as the API server writes it), or None."""
    text = str_at(obj, key)
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None
