"""Which `Host` values the portal answers, against DNS rebinding.

A web page on an attacker's domain can make the browser of a developer running the portal
resolve that domain to 127.0.0.1 and then talk to the portal with its own `Host`. In local mode
every loopback peer is admin, so there the portal answers only the loopback names with the
configured port, exactly. Elsewhere `PORTAL_ALLOWED_HOSTS` (when set) lists the names clients may
use; the probes and `/metrics` stay reachable by pod address. Refusals are a plain 400 that
never repeats the host (nothing is rendered with it).
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from portal.config import Settings

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
BY_ADDRESS_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
REFUSAL = (
    "this Host is not served here: local mode answers 127.0.0.1, localhost and [::1] with its "
    "port only; elsewhere see PORTAL_ALLOWED_HOSTS\n"
)


def allowed_hosts(settings: Settings) -> frozenset[str] | None:
    """The exact `Host` values accepted (lower case), or None for any."""
    if settings.auth_mode == "local":
        names = {f"{name}:{settings.port}" for name in LOOPBACK_NAMES}
        if settings.port == 80:
            names |= set(LOOPBACK_NAMES)
        return frozenset(names)
    if not settings.allowed_hosts:
        return None
    return frozenset(host.lower() for host in settings.allowed_hosts)


def host_is_allowed(scope: Scope, *, allowed: frozenset[str] | None, strict: bool) -> bool:
    if allowed is None or (not strict and scope.get("path") in BY_ADDRESS_PATHS):
        return True
    host = Headers(scope=scope).get("host", "")
    return host.lower() in allowed


class HostCheckMiddleware:
    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.allowed = allowed_hosts(settings)
        self.strict = settings.auth_mode == "local"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or host_is_allowed(
            scope, allowed=self.allowed, strict=self.strict
        ):
            await self.app(scope, receive, send)
            return
        response = PlainTextResponse(REFUSAL, status_code=400)
        await response(scope, receive, send)
