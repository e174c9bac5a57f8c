"""Kubernetes resource quantities (`500m`, `512Mi`, `1.5Gi`, `2k`, `1e3`) as numbers.

HPA statuses report values as quantity strings; a chart or a comparison needs the number.
"""

from __future__ import annotations

import re

_QUANTITY = re.compile(
    r"^(?P<number>[+-]?(?:\d+\.?\d*|\.\d+))(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$"
)
_SUFFIX_FACTORS = {
    "": 1.0,
    "n": 1e-9,
    "u": 1e-6,
    "m": 1e-3,
    "k": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
    "P": 1e15,
    "E": 1e18,
    "Ki": 2.0**10,
    "Mi": 2.0**20,
    "Gi": 2.0**30,
    "Ti": 2.0**40,
    "Pi": 2.0**50,
    "Ei": 2.0**60,
}


def parse_quantity(text: str) -> float | None:
    """The value of a quantity string, or None when it is not one."""
    match = _QUANTITY.match(text.strip())
    if match is None:
        return None
    number, suffix = float(match["number"]), match["suffix"] or ""
    if suffix[:1] in ("e", "E"):
        return number * 10.0 ** int(suffix[1:])
    return number * _SUFFIX_FACTORS[suffix]
