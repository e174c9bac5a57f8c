"""Server-side printing: `meta.k8s.io/v1` Table responses for kubectl.

kubectl asks for `application/json;as=Table;v=v1;g=meta.k8s.io`; the columns come from the
CRD's additionalPrinterColumns (or the built-in printers declared in `builtin_kinds.py`).
Dates are rendered as ages ("5m") the way the API server's table convertor does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from devcluster.builtin_printers import COMPUTED, NAME, age_of
from devcluster.resources import PrinterColumn, ResourceType

_SEGMENT = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_CRD_AGE = PrinterColumn("Age", "date", ".metadata.creationTimestamp")


def columns_of(rtype: ResourceType) -> tuple[PrinterColumn, ...]:
    """Every column, Name included: the CRD's (or Age) after Name, or a built-in printer."""
    if not rtype.custom and rtype.printer_columns:
        return rtype.printer_columns
    return (NAME, *(rtype.printer_columns or (_CRD_AGE,)))


def column_definitions(rtype: ResourceType) -> list[dict[str, Any]]:
    return [
        {
            "name": c.name,
            "type": c.type,
            "format": c.format,
            "description": c.description,
            "priority": c.priority,
        }
        for c in columns_of(rtype)
    ]


def json_path(obj: Any, path: str) -> Any:
    """Evaluate a simple `.a.b[0].c` JSONPath; None when any step is missing."""
    current = obj
    for name, index in _SEGMENT.findall(path.strip().lstrip("{").rstrip("}")):
        if name and isinstance(current, dict):
            current = current.get(name)
        elif index and isinstance(current, list) and int(index) < len(current):
            current = current[int(index)]
        else:
            return None
    return current


def human_duration(seconds: float) -> str:
    """Kubernetes' `duration.HumanDuration`."""
    if seconds < -1:
        return "<invalid>"
    total = max(int(seconds), 0)
    minutes, hours, days = total // 60, total // 3600, total // 86400
    if total < 120:
        return f"{total}s"
    if minutes < 10:
        return f"{minutes}m{total % 60}s" if total % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 24 * 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    years = days // 365
    return f"{years}y{days % 365}d" if years < 8 else f"{years}y"


def _cell(column: PrinterColumn, obj: dict[str, Any], now: datetime) -> Any:
    if column.json_path.startswith("computed:"):
        return COMPUTED[column.json_path.removeprefix("computed:")](obj, now)
    value = json_path(obj, column.json_path)
    if column.type == "date" or column.format == "age":
        return age_of(value, now) if value is not None else None
    return value


def table_row(rtype: ResourceType, obj: dict[str, Any], *, include: str) -> dict[str, Any]:
    now = datetime.now(UTC)
    cells = [_cell(c, obj, now) for c in columns_of(rtype)]
    row: dict[str, Any] = {"cells": cells}
    if include == "Object":
        row["object"] = obj
    elif include != "None":
        row["object"] = {
            "kind": "PartialObjectMetadata",
            "apiVersion": "meta.k8s.io/v1",
            "metadata": obj["metadata"],
        }
    return row


def table(
    rtype: ResourceType,
    objects: Iterable[dict[str, Any]],
    *,
    list_meta: dict[str, Any],
    include: str,
    headers: bool = True,
) -> dict[str, Any]:
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": column_definitions(rtype) if headers else [],
        "rows": [table_row(rtype, o, include=include) for o in objects],
    }
