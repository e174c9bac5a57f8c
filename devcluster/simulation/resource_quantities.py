"""Kubernetes resource quantities (`250m`, `1`, `2Gi`) as numbers the simulators can add up."""

from __future__ import annotations

import re

_QUANTITY = re.compile(r"^(\d+(?:\.\d+)?)([a-zA-Z]*)$")
_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
_DECIMAL = {"": 1, "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "m": 10**-3}


def cpu_millicores(*, quantity: str) -> int:
    """CPU quantity in millicores (`250m` -> 250, `2` -> 2000)."""
    return round(parse_quantity(quantity=quantity) * 1000)


def parse_quantity(*, quantity: str) -> float:
    """A quantity as a plain number of base units; ValueError when it is not one."""
    match = _QUANTITY.match(quantity.strip())
    if match is None:
        raise ValueError(f"not a quantity: {quantity!r}")
    number, suffix = float(match.group(1)), match.group(2)
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * _DECIMAL[suffix]
    raise ValueError(f"unknown quantity suffix: {quantity!r}")
