"""Reading watch streams in tests: newline-delimited JSON events with a bounded wait."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx


async def next_event(lines: AsyncIterator[str], *, within: float = 5.0) -> dict[str, Any]:
    """The next event on the stream, failing the test if none arrives in time."""
    async with asyncio.timeout(within):
        async for line in lines:
            if line.strip():
                event: dict[str, Any] = json.loads(line)
                return event
    raise AssertionError("watch stream ended before the expected event")


async def remaining_events(
    lines: AsyncIterator[str], *, within: float = 5.0
) -> list[dict[str, Any]]:
    """Every event until the server ends the stream."""
    events = []
    async with asyncio.timeout(within):
        async for line in lines:
            if line.strip():
                events.append(json.loads(line))
    return events


def stream(api: httpx.AsyncClient, path: str, **params: str) -> Any:
    return api.stream("GET", path, params={"watch": "true", **params})
