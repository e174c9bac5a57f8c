"""Helpers for simulation tests: a recording gate server, a REST client, bounded waiting."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import uvicorn
from starlette.requests import Request
from starlette.responses import PlainTextResponse

TIME_SCALE = 100.0
WAIT_SECONDS = 20.0
T = TypeVar("T")


@dataclass
class Recorded:
    """One webhook call the gate server received."""

    path: str
    payload: dict[str, Any]
    content_type: str
    authorization: str | None


@dataclass
class GateServer:
    """Answers `POST /<anything>` with the configured status; records every call."""

    statuses: dict[str, int] = field(default_factory=dict)
    bodies: dict[str, str] = field(default_factory=dict)
    calls: list[Recorded] = field(default_factory=list)
    url: str = ""

    def answer(self, path: str, status: int, body: str = "") -> None:
        self.statuses[path] = status
        self.bodies[path] = body

    def calls_to(self, path: str) -> list[Recorded]:
        return [call for call in self.calls if call.path == path]

    def event_messages(self) -> list[str]:
        return [call.payload["metadata"]["eventMessage"] for call in self.calls_to("/event")]

    async def handle(self, request: Request) -> PlainTextResponse:
        path = request.url.path
        self.calls.append(
            Recorded(
                path=path,
                payload=await request.json(),
                content_type=request.headers.get("content-type", ""),
                authorization=request.headers.get("authorization"),
            )
        )
        status = self.statuses.get(path, 200 if path != "/event" else 202)
        return PlainTextResponse(self.bodies.get(path, ""), status_code=status)


async def server_started(server: uvicorn.Server) -> bool:
    return server.started


async def wait_for(
    probe: Callable[[], Awaitable[T | None]], *, within: float = WAIT_SECONDS, every: float = 0.02
) -> T:
    """Poll `probe` until it returns something truthy; fail after `within` seconds."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        result = await probe()
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {within}s (last: {result!r})")
        await asyncio.sleep(every)


@dataclass
class Api:
    """A plain REST client of the devcluster under test."""

    http: httpx.AsyncClient

    async def create(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self.http.post(path, json=body)
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    async def get(self, path: str) -> dict[str, Any]:
        response = await self.http.get(path)
        assert response.status_code == 200, response.text
        found: dict[str, Any] = response.json()
        return found

    async def patch(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"Content-Type": "application/merge-patch+json"}
        response = await self.http.patch(path, json=body, headers=headers)
        assert response.status_code == 200, response.text
        patched: dict[str, Any] = response.json()
        return patched

    async def canary_events(self, namespace: str, name: str) -> list[dict[str, Any]]:
        events = (await self.get(f"/api/v1/namespaces/{namespace}/events"))["items"]
        mine = [
            event
            for event in events
            if event["involvedObject"]["kind"] == "Canary"
            and event["involvedObject"]["name"] == name
        ]
        return sorted(mine, key=lambda event: str(event["metadata"]["name"]))
