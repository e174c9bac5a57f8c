"""The one place where errors become responses.

- JSON `{"detail": ...}` for the API (`/api/`, `/flagger/`, `/webhooks/`) and for probes;
- a toast fragment for htmx requests (`HX-Request: true`), retargeted into the toast area;
- a full error page otherwise.
Unexpected exceptions are logged with the request id and answered 500 without internals; a
database that is unreachable, locked past its busy timeout or out of pooled connections is a
503 with Retry-After and the cause (the request changed nothing it did not commit), never a 500
— except on Flagger's gates, which answer 403 "hold" then: a gate the portal cannot decide must
never pass (docs/flagger-fidelity.md, "fail-safe gates").
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal.db import unavailable_cause
from portal.errors import PortalError

log = structlog.get_logger("portal.errors")

DATABASE_RETRY_AFTER_SECONDS = 5
GATE_PREFIX = "/flagger/gates/"

JSON_PREFIXES = ("/api/", "/flagger/", "/webhooks/", "/healthz", "/readyz", "/metrics", "/stream")


def wants_json(request: Request) -> bool:
    path = request.url.path
    if path.startswith(JSON_PREFIXES):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def render_error(
    request: Request, *, status: int, detail: Any, headers: Mapping[str, str] | None = None
) -> Response:
    """Answer in the form the caller asked for; the status code is always the real one."""
    if wants_json(request):
        return JSONResponse({"detail": detail}, status_code=status, headers=headers)
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    message = detail if isinstance(detail, str) else _summarise(detail)
    templates: Jinja2Templates = request.app.state.portal.templates
    context = {"status": status, "title": title, "message": message}
    if request.headers.get("hx-request") == "true":
        extra = {"HX-Retarget": "#toasts", "HX-Reswap": "beforeend"}
        return templates.TemplateResponse(
            request,
            "components/_toast.html",
            context,
            status_code=status,
            headers={**(headers or {}), **extra},
        )
    return templates.TemplateResponse(
        request, "errors/error.html", context, status_code=status, headers=dict(headers or {})
    )


def _summarise(detail: Any) -> str:
    if isinstance(detail, list):
        parts = []
        for item in detail:
            where = ".".join(str(p) for p in item.get("loc", ()) if p != "body")
            parts.append(f"{where}: {item.get('msg', 'invalid')}" if where else item.get("msg", ""))
        return "; ".join(parts)
    return str(detail)


async def on_portal_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, PortalError)
    return render_error(
        request, status=error.status_code, detail=error.detail, headers=error.headers
    )


async def on_http_exception(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    return render_error(
        request, status=error.status_code, detail=error.detail, headers=error.headers
    )


async def on_validation_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, RequestValidationError)
    detail = [
        {"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
        for e in error.errors()
    ]
    return render_error(request, status=422, detail=detail)


class UnexpectedErrorMiddleware:
    """Turn an exception nobody handled into a 500 in the caller's format, logged with the
    request id; inside the request-id middleware so the answer still carries the id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            if started:
                raise
            cause = unavailable_cause(error)
            if cause is not None:
                response = database_unavailable(Request(scope), cause=cause)
                log.warning("database unavailable", path=scope["path"], cause=cause)
            else:
                log.exception(
                    "unhandled error", path=scope["path"], error_type=type(error).__name__
                )
                response = render_error(
                    Request(scope), status=500, detail="internal error; see the portal log"
                )
            await response(scope, receive, send)


def database_unavailable(request: Request, *, cause: str) -> Response:
    """503 + Retry-After with the cause; a Flagger gate holds (403) instead."""
    if request.url.path.startswith(GATE_PREFIX):
        return PlainTextResponse(
            f"hold: the portal cannot read its gates ({cause}); a gate it cannot decide never "
            "passes, so Flagger waits and asks again at its next tick\n",
            status_code=403,
        )
    return render_error(
        request,
        status=503,
        detail=f"{cause}: the portal's database is busy or unreachable; nothing more was "
        "changed, retry shortly",
        headers={"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)},
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(PortalError, on_portal_error)
    app.add_exception_handler(StarletteHTTPException, on_http_exception)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_middleware(UnexpectedErrorMiddleware)
