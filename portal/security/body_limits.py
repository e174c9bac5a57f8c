"""Refuse request bodies over the limit with 413, whether Content-Length says so up front or a
chunked (or lying) body only turns out too long while it is read.

Pure ASGI: the body is counted as it streams, never buffered here.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal.config import Settings
from portal.http.errors import render_error

WEBHOOK_PATHS = ("/webhooks/github",)


class BodyTooLarge(HTTPException):
    """Raised from `receive` once the body passes the limit; FastAPI lets HTTPExceptions from
    body reading through, so the error handler answers 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body larger than {limit} bytes")


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.default_limit = settings.max_body_bytes
        self.webhook_limit = settings.max_webhook_body_bytes

    def limit_for(self, path: str) -> int:
        return self.webhook_limit if path in WEBHOOK_PATHS else self.default_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await _refuse(scope, receive, send, BodyTooLarge(limit))
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge as error:
            if started:
                raise
            await _refuse(scope, receive, send, error)


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def _refuse(scope: Scope, receive: Receive, send: Send, error: BodyTooLarge) -> None:
    response = render_error(
        Request(scope),
        status=error.status_code,
        detail=error.detail,
        headers={"Connection": "close"},
    )
    await response(scope, receive, send)
