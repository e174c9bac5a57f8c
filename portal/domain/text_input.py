"""What a string from a caller may contain: no control characters and no lone surrogates.

A NUL in a reason once made an action fail with 500 on PostgreSQL (text columns refuse U+0000),
after the Kubernetes patch was applied; `?cluster=devcluster%00` failed the same way. Control
characters (Unicode category Cc: C0, DEL, C1) and surrogates (Cs, which cannot be encoded as
UTF-8) are refused in every input. Free text (JSON and form fields) may keep tab, line feed and
carriage return (a multi-line reason from a textarea); names in paths and query values may not.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

FREE_TEXT_ALLOWED = frozenset("\t\n\r")

Location = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class BadCharacter:
    """Where a refused character sits and what it is."""

    loc: Location
    message: str


def bad_character(text: str, *, allowed: frozenset[str] = frozenset()) -> str | None:
    """Why `text` is refused (naming the first bad character and its position), or None."""
    for index, char in enumerate(text):
        if char in allowed:
            continue
        category = unicodedata.category(char)
        if category == "Cc":
            return f"control character U+{ord(char):04X} at position {index} is not allowed"
        if category == "Cs":
            return f"lone surrogate U+{ord(char):04X} at position {index} is not valid text"
    return None


def bad_strings(value: Any, loc: Location, *, allowed: frozenset[str]) -> Iterator[BadCharacter]:
    """Every refused string in a decoded JSON document (keys too), with its location."""
    if isinstance(value, str):
        problem = bad_character(value, allowed=allowed)
        if problem is not None:
            yield BadCharacter(loc, problem)
    elif isinstance(value, dict):
        for key, item in value.items():
            key_problem = bad_character(str(key))
            if key_problem is not None:
                yield BadCharacter((*loc, str(key)), f"field name: {key_problem}")
            yield from bad_strings(item, (*loc, str(key)), allowed=allowed)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from bad_strings(item, (*loc, index), allowed=allowed)
