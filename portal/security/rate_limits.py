"""Rate limits on canary actions (per user), on API token use (per token) and on the webhook
endpoints Flagger and GitHub call (per source address): 429 with Retry-After past the limit.

Keys are found without touching the database, so an over-limit request costs almost nothing.
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from portal.config import Settings
from portal.http.errors import render_error
from portal.security.addresses import address_proxies, client_address, peer_is_trusted
from portal.security.state import SecurityState
from portal.security.token_secrets import bearer_token, parse_token

ACTION_PATHS = (
    re.compile(r"^/api/v1/canaries/[^/]+/[^/]+/[^/]+/[^/]+/?$"),
    re.compile(r"^/canaries/[^/]+/[^/]+/[^/]+/actions/[^/]+/?$"),
)
"""Every route that acts on a canary (the JSON API and the browser's form): one budget per user."""
WEBHOOK_PREFIXES = ("/webhooks/", "/flagger/")


def _caller_key(scope: Scope, settings: Settings, headers: Headers) -> str:
    """The token, the proxied user, or the client address, in that order."""
    presented = bearer_token(headers.get("authorization"))
    parsed = parse_token(presented) if presented else None
    if parsed is not None:
        return f"token:{parsed.lookup_id}"
    if settings.auth_mode == "proxy" and peer_is_trusted(scope, settings.trusted_proxies):
        user = headers.get(settings.proxy_user_header) or headers.get(settings.proxy_email_header)
        if user:
            return f"user:{user[:255]}"
    return f"addr:{client_address(scope, address_proxies(settings))}"


def limits_for(scope: Scope, settings: Settings) -> list[tuple[str, str]]:
    """The (rule, key) pairs this request spends."""
    headers = Headers(scope=scope)
    path = scope["path"]
    checks = []
    if scope["method"] == "POST" and any(pattern.match(path) for pattern in ACTION_PATHS):
        checks.append(("actions", _caller_key(scope, settings, headers)))
    if path.startswith(WEBHOOK_PREFIXES):
        checks.append(("webhooks", f"addr:{client_address(scope, address_proxies(settings))}"))
    if bearer_token(headers.get("authorization")):
        checks.append(("tokens", _caller_key(scope, settings, headers)))
    return checks


class RateLimitMiddleware:
    def __init__(self, app: ASGIApp, *, security: SecurityState) -> None:
        self.app = app
        self.security = security

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        checks = limits_for(scope, self.security.settings)
        retry_after = self.security.rate_limits.consume(checks) if checks else None
        if retry_after is None:
            await self.app(scope, receive, send)
            return
        response = render_error(
            Request(scope),
            status=429,
            detail=f"too many requests; try again in {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )
        await response(scope, receive, send)
