"""`portal canary watch`: the list once, then each canary whose state changed, as it changes.

Follows the portal's live stream (`GET /stream?page=canaries`, the same Server-Sent Events the
browser pages use): every `fleet` event means some canary under the filters changed, so the
watcher reads `/api/v1/canaries` again and prints the rows that differ from what it printed
last (kubectl's `get -w` shows rows the same way). When the stream drops it reconnects after a
second and reads the list again, so nothing changed in between is missed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx

from portal.cli_output import canary_headers, canary_name, canary_rows

RECONNECT_SECONDS = 1.0
STREAM_TIMEOUT = httpx.Timeout(30.0, read=90.0)
"""The portal sends a heartbeat well within the read timeout; silence that long is a drop."""
HELLO_EVENT = "hello"


class _Printer:
    """Prints rows (aligned to the first table's columns) or JSON lines, changes only."""

    def __init__(self, *, output: str, write: Callable[[str], None]) -> None:
        self.output = output
        self.write = write
        self.seen: dict[str, str] = {}
        self.widths: list[int] = []

    def show(self, items: list[Mapping[str, Any]]) -> None:
        changed = []
        for item in items:
            state = json.dumps(item, sort_keys=True)
            if self.seen.get(canary_name(item)) != state:
                self.seen[canary_name(item)] = state
                changed.append(item)
        if not changed:
            return
        if self.output == "json":
            for item in changed:
                self.write(json.dumps(item, sort_keys=True))
            return
        wide = self.output == "wide"
        rows = canary_rows(changed, wide=wide, now=datetime.now(UTC))
        if not self.widths:
            headers = canary_headers(wide=wide)
            self.widths = [
                max(len(c) for c in column) for column in zip(headers, *rows, strict=True)
            ]
            self.write(self._line(headers))
        for row in rows:
            self.write(self._line(row))

    def _line(self, cells: list[str]) -> str:
        return "   ".join(c.ljust(w) for c, w in zip(cells, self.widths, strict=True)).rstrip()


def _items(client: httpx.Client, params: Mapping[str, str]) -> list[Mapping[str, Any]]:
    response = client.get("/api/v1/canaries", params=dict(params))
    response.raise_for_status()
    return list(response.json()["items"])


def _changes(client: httpx.Client, params: Mapping[str, str]) -> Any:
    """Yield once per change event of one stream connection."""
    stream_params = {"page": "canaries"} | {
        k: v for k, v in params.items() if k in ("cluster", "namespace")
    }
    with client.stream("GET", "/stream", params=stream_params, timeout=STREAM_TIMEOUT) as response:
        response.raise_for_status()
        event = ""
        for line in response.iter_lines():
            if line.startswith("event:"):
                event = line.partition(":")[2].strip()
            elif not line and event:
                if event != HELLO_EVENT:
                    yield event
                event = ""


def follow(
    client: httpx.Client,
    *,
    params: Mapping[str, str],
    output: str,
    write: Callable[[str], None],
    connections: int | None = None,
) -> int:
    """Print the list, then changes, until interrupted (or after `connections` streams)."""
    printer = _Printer(output=output, write=write)
    printer.show(_items(client, params))
    opened = 0
    while connections is None or opened < connections:
        opened += 1
        try:
            for _ in _changes(client, params):
                printer.show(_items(client, params))
        except (httpx.TransportError, httpx.HTTPStatusError):
            pass
        time.sleep(RECONNECT_SECONDS)
        printer.show(_items(client, params))
    return 0
