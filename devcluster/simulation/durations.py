"""Go-style duration strings (`30s`, `1m`, `1m30s`, `500ms`) as Flagger's specs write them.

Canary intervals and webhook timeouts are Go durations; the simulators need them in seconds.
"""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(*, text: str) -> float:
    """Return the seconds in a Go duration string; raise ValueError when it is not one."""
    parts = _PART.findall(text)
    if not text or "".join(number + unit for number, unit in parts) != text:
        raise ValueError(f"not a duration: {text!r}")
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


def format_duration(*, seconds: float) -> str:
    """Render seconds the way Go prints a time.Duration for the values metrics report."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    whole = round(seconds, 3)
    return f"{whole:g}s"
