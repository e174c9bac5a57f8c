"""How `portal canary list|get|watch` print canaries: kubectl-style tables, JSON, YAML, names.

Pure functions over the API's JSON (`/api/v1/canaries`, `/api/v1/canaries/{c}/{ns}/{n}`), so
what the terminal shows is exactly what the API said. Tables are columns padded to the widest
cell with three spaces between them, headers in capitals, `-` for nothing, like kubectl.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import yaml

Item = Mapping[str, Any]
OUTPUTS = ("table", "wide", "json", "yaml", "name")


def age(value: str | None, *, now: datetime) -> str:
    """kubectl's short age: `42s`, `7m`, `3h`, `2d` (`-` when unknown)."""
    if not value:
        return "-"
    try:
        then = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return "-"
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    seconds = max(0, int((now - then).total_seconds()))
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def phase(item: Item) -> str:
    shown = str(item.get("phase") or "-")
    return f"{shown} (paused)" if item.get("suspended") else shown


def weight(item: Item) -> str:
    """Routed weight against the maximum for canaries; iterations for Blue/Green and A/B."""
    if item.get("strategy") in ("blue-green", "ab-testing"):
        return f"{item.get('iterations', 0)}/{item.get('max_iterations', 0)} iter"
    return f"{item.get('canary_weight', 0)}%/{item.get('max_weight', 0)}%"


def failed(item: Item) -> str:
    return f"{item.get('failed_checks', 0)}/{item.get('threshold', 0)}"


def _target(item: Item) -> str:
    target = item.get("target") or {}
    return f"{target.get('kind', '?')}/{target.get('name', '?')}"


def _columns(*, wide: bool, now: datetime) -> list[tuple[str, Callable[[Item], str]]]:
    columns: list[tuple[str, Callable[[Item], str]]] = [
        ("CLUSTER", lambda i: str(i["cluster"])),
        ("NAMESPACE", lambda i: str(i["namespace"])),
        ("NAME", lambda i: str(i["name"])),
        ("STRATEGY", lambda i: str(i.get("strategy") or "-")),
        ("PHASE", phase),
        ("WEIGHT", weight),
        ("FAILED", failed),
        ("AGE", lambda i: age(i.get("last_change") or i.get("last_transition_time"), now=now)),
    ]
    if wide:
        columns += [
            ("TARGET", _target),
            ("PROGRESS", lambda i: f"{round(float(i.get('progress') or 0) * 100)}%"),
            ("GATES", lambda i: ",".join(i.get("gates") or []) or "-"),
            ("ATTENTION", lambda i: "; ".join(i.get("attention_reasons") or []) or "-"),
        ]
    return columns


def table(rows: Sequence[Sequence[str]], *, headers: Sequence[str] | None) -> list[str]:
    """Columns padded to their widest cell, three spaces apart, no trailing blanks."""
    every = [list(headers)] if headers else []
    every += [list(row) for row in rows]
    if not every:
        return []
    widths = [max(len(row[i]) for row in every) for i in range(len(every[0]))]
    return [
        "   ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in every
    ]


def canary_rows(items: Sequence[Item], *, wide: bool, now: datetime) -> list[list[str]]:
    columns = _columns(wide=wide, now=now)
    return [[render(item) for _, render in columns] for item in items]


def canary_headers(*, wide: bool) -> list[str]:
    return [title for title, _ in _columns(wide=wide, now=datetime.now(UTC))]


def canary_name(item: Item) -> str:
    return f"{item['cluster']}/{item['namespace']}/{item['name']}"


def list_output(items: Sequence[Item], *, output: str, now: datetime) -> list[str]:
    """Every line `portal canary list -o <output>` prints."""
    if output == "json":
        return [json.dumps(list(items), indent=2)]
    if output == "yaml":
        return [yaml.safe_dump(list(items), sort_keys=False).rstrip("\n")]
    if output == "name":
        return [canary_name(item) for item in items]
    if not items:
        return []
    wide = output == "wide"
    return table(canary_rows(items, wide=wide, now=now), headers=canary_headers(wide=wide))


def _threshold(metric: Item) -> str:
    low, high = metric.get("threshold_min"), metric.get("threshold_max")
    parts = [f">= {low:g}" if low is not None else "", f"<= {high:g}" if high is not None else ""]
    return ", ".join(p for p in parts if p) or "-"


def _value(metric: Item) -> str:
    value = metric.get("last_value")
    return "-" if value is None else f"{value:g}"


def detail_output(detail: Item, *, output: str, now: datetime, timeline: int = 10) -> list[str]:
    """Every line `portal canary get -o <output>` prints (default: a description)."""
    if output == "json":
        return [json.dumps(dict(detail), indent=2)]
    if output == "yaml":
        return [yaml.safe_dump(dict(detail), sort_keys=False).rstrip("\n")]
    if output == "name":
        return [canary_name(detail)]
    if output == "wide":
        return list_output([detail], output=output, now=now)
    reasons = "; ".join(detail.get("attention_reasons") or []) or "-"
    fields = [
        ("Name", canary_name(detail)),
        ("Target", _target(detail)),
        ("Image", str(detail.get("image") or "-")),
        ("Strategy", str(detail.get("strategy") or "-")),
        ("Phase", phase(detail)),
        ("Weight", weight(detail)),
        ("Failed checks", failed(detail)),
        ("Last change", age(detail.get("last_change"), now=now) + " ago"),
        ("Gates", ", ".join(detail.get("gates") or []) or "-"),
        ("Needs attention", reasons),
    ]
    lines = [f"{label + ':':<17}{value}" for label, value in fields]
    for hold in detail.get("gate_holds") or []:
        lines.append(f"{'Held at gate:':<17}{hold['gate']}: {hold['reason']}")
    metrics = detail.get("metrics") or []
    lines.append("Metrics:")
    rows = [[m["name"], _threshold(m), _value(m)] for m in metrics]
    lines += (
        ["  " + line for line in table(rows, headers=["NAME", "THRESHOLD", "LAST VALUE"])]
        if rows
        else ["  none"]
    )
    entries = list(detail.get("timeline") or [])[:timeline]  # newest first
    lines.append(f"Timeline (newest {timeline}):")
    rows = [
        [age(e.get("at"), now=now), str(e.get("event_type")), str(e.get("message"))]
        for e in entries
    ]
    lines += (
        ["  " + line for line in table(rows, headers=["AGE", "TYPE", "MESSAGE"])]
        if rows
        else ["  none"]
    )
    return lines
