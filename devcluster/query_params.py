"""Query parameter values parsed the way the Go API server parses them."""

from __future__ import annotations

from devcluster.errors import bad_request

_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False", ""})


def parse_bool(value: str | None) -> bool:
    """Go's `strconv.ParseBool` (clients send `true`, `True` or `1`); 400 on anything else."""
    if value is None or value in _FALSE:
        return False
    if value in _TRUE:
        return True
    raise bad_request(f'strconv.ParseBool: parsing "{value}": invalid syntax')
