"""ASGI middleware that refuses request bodies over a small limit, before they are buffered.

Every body the harness accepts is a small JSON object, yet FastAPI reads a body before it checks
the API key, so without a bound an anonymous client could make the pod buffer gigabytes. FastAPI's
own `max_body_size` answers from outside our middleware (plain text, no security headers, not
counted in `http_requests_total`), so this small one sits inside them and answers JSON.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class BoundingMiddleware:
    """Answer 413 when a body declares or streams more than `max_bytes`."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._declared_length(scope=scope) > self.max_bytes:
            await JSONResponse({"detail": self._reason()}, status_code=413)(scope, receive, send)
            return
        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise HTTPException(status_code=413, detail=self._reason())
            return message

        await self.app(scope, bounded_receive, send)

    def _reason(self) -> str:
        return f"request body exceeds {self.max_bytes} bytes"

    @staticmethod
    def _declared_length(*, scope: Scope) -> int:
        for name, value in scope["headers"]:
            if name == b"content-length":
                return int(value) if value.isdigit() else 0
        return 0
