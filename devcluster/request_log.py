"""A record of every API request, so tests can count exactly what a client called."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from devcluster.query_params import parse_bool


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    query: str
    status: int
    user: str
    user_agent: str = ""
    at: float = 0.0
    """`time.monotonic()` when the answer started (tests measure gaps between calls)."""

    @property
    def is_watch(self) -> bool:
        params = parse_qs(self.query)
        return any(parse_bool(v) for v in params.get("watch", []))


@dataclass
class RequestLog:
    """The most recent requests (bounded), oldest first."""

    max_records: int = 100_000
    _records: deque[RequestRecord] = field(default_factory=deque)

    def append(self, record: RequestRecord) -> None:
        if len(self._records) >= self.max_records:
            self._records.popleft()
        self._records.append(record)

    def __iter__(self) -> Iterator[RequestRecord]:
        return iter(list(self._records))

    def __len__(self) -> int:
        return len(self._records)

    def clear(self) -> None:
        self._records.clear()

    def matching(
        self,
        *,
        method: str | None = None,
        path: str | None = None,
        path_prefix: str | None = None,
        watch: bool | None = None,
        status: int | None = None,
    ) -> list[RequestRecord]:
        return [
            r
            for r in self._records
            if (method is None or r.method == method)
            and (path is None or r.path == path)
            and (path_prefix is None or r.path.startswith(path_prefix))
            and (watch is None or r.is_watch == watch)
            and (status is None or r.status == status)
        ]

    def count(self, **criteria: str | int | bool | None) -> int:
        return len(self.matching(**criteria))  # type: ignore[arg-type]


class RequestLogMiddleware:
    """Records method, path, query, status and user of every request."""

    def __init__(self, app: ASGIApp, log: RequestLog) -> None:
        self.app = app
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                self._record(scope, status)
            await send(message)

        await self.app(scope, receive, capture)

    def _record(self, scope: Scope, status: int) -> None:
        self.log.append(
            RequestRecord(
                method=scope["method"],
                path=scope["path"],
                query=scope.get("query_string", b"").decode("latin-1"),
                status=status,
                user=scope.get("state", {}).get("devcluster_user", ""),
                user_agent=_header(scope, b"user-agent"),
                at=time.monotonic(),
            )
        )


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""
