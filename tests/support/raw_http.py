"""A minimal HTTP/1.1 keep-alive client for load drivers: pre-encoded requests over a pool of
asyncio streams, the response's status and body read by Content-Length or chunks.

Why not httpx: a load driver on the same two cores as the servers it measures must cost far
less than they do. httpx spends about a millisecond of CPU per call (request building, header
models, its pool's state machine), so at 250 calls/s the driver took more of the machine than
the two portal replicas (BENCHMARKS.md, reliability load). This client does only what a load
needs: one write of bytes built once, one read of the head, one read of the body.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import dataclass
from typing import Any

HEAD_END = b"\r\n\r\n"


class ProtocolError(Exception):
    """The server's answer was not HTTP/1.1 this client understands, or it closed mid-answer."""


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes


def encode_request(
    method: str,
    path: str,
    *,
    host: str,
    headers: dict[str, str] | None = None,
    json_body: Any = None,
) -> bytes:
    """The bytes of one request, built once and sent as often as needed."""
    body = b"" if json_body is None else json.dumps(json_body).encode()
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if json_body is not None:
        lines.append("Content-Type: application/json")
    if body or method in {"POST", "PUT", "PATCH"}:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class _Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.idle_since = 0.0

    async def exchange(self, request: bytes) -> tuple[Answer, bool]:
        """Send `request`, read its answer; also whether the connection may be used again."""
        self.writer.write(request)
        try:
            head = await self.reader.readuntil(HEAD_END)
        except asyncio.IncompleteReadError as error:
            raise ProtocolError("connection closed before the answer") from error
        status_line, _, header_block = head[:-4].partition(b"\r\n")
        if not status_line.startswith(b"HTTP/1.1 "):
            raise ProtocolError(f"not an HTTP/1.1 answer: {status_line[:40]!r}")
        status = int(status_line[9:12])
        length: int | None = None
        chunked = False
        keep = True
        for line in header_block.split(b"\r\n"):
            name, _, value = line.partition(b":")
            lowered = name.strip().lower()
            if lowered == b"content-length":
                length = int(value)
            elif lowered == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif lowered == b"connection":
                keep = b"close" not in value.lower()
        try:
            if chunked:
                body = await self._read_chunks()
            elif length is not None:
                body = await self.reader.readexactly(length)
            else:  # no length: the body runs to the end of the connection
                body = await self.reader.read()
                keep = False
        except asyncio.IncompleteReadError as error:
            raise ProtocolError("connection closed mid-body") from error
        return Answer(status, body), keep

    async def _read_chunks(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int((await self.reader.readuntil(b"\r\n"))[:-2].split(b";")[0], 16)
            if size == 0:
                await self.reader.readuntil(b"\r\n")  # no trailers are sent to us
                return b"".join(parts)
            parts.append(await self.reader.readexactly(size))
            await self.reader.readexactly(2)

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


class Client:
    """Keep-alive connections to one `http://host:port`, at most `limit` open at once (a call
    beyond that waits for one), each call bounded by `seconds` (TimeoutError); a connection
    idle for `idle_seconds` is closed rather than reused, before the server's own keep-alive
    timeout (uvicorn: 5 s) can close it under a request."""

    def __init__(
        self, base_url: str, *, limit: int, seconds: float, idle_seconds: float = 2.0
    ) -> None:
        self.host, port = base_url.removeprefix("http://").split(":")
        self.port = int(port)
        self.seconds = seconds
        self.idle_seconds = idle_seconds
        self._idle: list[_Connection] = []
        self._slots = asyncio.Semaphore(limit)
        self._open: set[_Connection] = set()

    async def send(self, request: bytes) -> Answer:
        async with self._slots:
            connection = await self._take()
            reuse = False
            try:
                async with asyncio.timeout(self.seconds):
                    answer, reuse = await connection.exchange(request)
                return answer
            finally:
                if reuse:
                    connection.idle_since = asyncio.get_running_loop().time()
                    self._idle.append(connection)
                else:
                    self._open.discard(connection)
                    await connection.close()

    async def _take(self) -> _Connection:
        now = asyncio.get_running_loop().time()
        while self._idle:
            connection = self._idle.pop()
            if now - connection.idle_since < self.idle_seconds:
                return connection
            self._open.discard(connection)
            await connection.close()
        reader, writer = await asyncio.open_connection(self.host, self.port)
        connection = _Connection(reader, writer)
        self._open.add(connection)
        return connection

    async def aclose(self) -> None:
        self._idle.clear()
        for connection in list(self._open):
            await connection.close()
        self._open.clear()
