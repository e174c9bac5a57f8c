"""Go duration strings (`30s`, `1m`, `1m30s`, `2h`, `500ms`) as Canary specs write them.

Flagger parses `analysis.interval`, metric intervals and webhook timeouts with Go's
`time.ParseDuration`; the portal needs the same numbers to say when the next tick is due.
"""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|h|m|s)")
_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}


def parse_go_duration(text: str) -> float | None:
    """Seconds in a Go duration string, or None when it is not one (Go's ParseDuration errs)."""
    sign = -1.0 if text.startswith("-") else 1.0
    text = text.removeprefix("-") if sign < 0 else text.removeprefix("+")
    if text == "0":
        return 0.0
    parts = _PART.findall(text)
    if not parts or "".join(number + unit for number, unit in parts) != text:
        return None
    return sign * sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)
