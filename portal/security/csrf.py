"""CSRF protection for browser requests: a random token in an HttpOnly, SameSite=Lax cookie,
which every state-changing request must echo as the `X-CSRF-Token` header (htmx, via
static/js/portal.js reading the page's meta tag) or a `csrf_token` form field.

Hand-written (one small middleware) rather than asgi-csrf, because asgi-csrf lets cookie-less
requests through: with identities that come from a proxy header or a loopback peer rather than a
cookie, that would let any web page post to the portal. Requests carrying an Authorization
header are exempt (browsers never attach one on their own), and so are /flagger/ and /webhooks/,
which authenticate their callers themselves.
"""

from __future__ import annotations

import hmac
import re
import secrets

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from portal.config import Settings
from portal.http.errors import render_error
from portal.security.addresses import address_proxies, came_over_tls
from portal.security.denials import record_denial

COOKIE_NAME = "portal_csrf"
SECURE_COOKIE_NAME = "__Host-portal_csrf"
"""Over TLS the `__Host-` prefix makes browsers refuse the cookie unless it is Secure, has
Path=/ and no Domain, so a sibling subdomain cannot plant a token of its choosing."""
HEADER_NAME = "x-csrf-token"
FORM_FIELD = "csrf_token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
EXEMPT_PREFIXES = ("/flagger/", "/webhooks/")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{43}$")


def _cookie_token(headers: Headers, *, cookie_name: str) -> str | None:
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == cookie_name and _TOKEN_SHAPE.fullmatch(value):
            return value
    return None


def needs_check(scope: Scope, headers: Headers) -> bool:
    if scope["method"] in SAFE_METHODS or scope["path"].startswith(EXEMPT_PREFIXES):
        return False
    return "authorization" not in headers


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replaying(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


async def _form_token(scope: Scope, body: bytes, receive: Receive) -> str | None:
    try:
        form = await Request(scope, _replaying(body, receive)).form()
    except Exception:
        return None
    try:
        value = form.get(FORM_FIELD)
        return value if isinstance(value, str) else None
    finally:
        await form.close()


async def presented_token(
    scope: Scope, headers: Headers, receive: Receive
) -> tuple[str | None, Receive]:
    """The token the request echoes, and a `receive` that still yields the whole body."""
    if HEADER_NAME in headers:
        return headers[HEADER_NAME], receive
    if not headers.get("content-type", "").startswith(FORM_TYPES):
        return None, receive
    body = await _read_body(receive)
    return await _form_token(scope, body, receive), _replaying(body, receive)


def _set_cookie(name: str, token: str, *, secure: bool) -> bytes:
    flags = "; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")
    return f"{name}={token}{flags}".encode()


def _same(presented: str, known: str) -> bool:
    """Constant-time comparison; bytes, because compare_digest refuses non-ASCII str."""
    return hmac.compare_digest(presented.encode(), known.encode())


class CsrfMiddleware:
    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    def _secure(self, scope: Scope) -> bool:
        return self.settings.secure_cookies or came_over_tls(scope, address_proxies(self.settings))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT_PREFIXES):
            # machine callers (Flagger, GitHub) render no form and keep no cookie: no token,
            # no Set-Cookie (measured: 7% of a gate call's time under py-spy)
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        secure = self._secure(scope)
        cookie_name = SECURE_COOKIE_NAME if secure else COOKIE_NAME
        known = _cookie_token(headers, cookie_name=cookie_name)
        token = known or secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf_token"] = token

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and known is None:
                message["headers"] = [
                    *message.get("headers", []),
                    (b"set-cookie", _set_cookie(cookie_name, token, secure=secure)),
                ]
            await send(message)

        if needs_check(scope, headers):
            presented, receive = await presented_token(scope, headers, receive)
            if known is None or presented is None or not _same(presented, known):
                await self._refuse(scope, receive, send_with_cookie, missing=presented is None)
                return
        await self.app(scope, receive, send_with_cookie)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, *, missing: bool) -> None:
        detail = "CSRF token missing" if missing else "CSRF token does not match"
        detail += ": reload the page and try again"
        request = Request(scope, receive)
        await record_denial(request, identity=None, status=403, detail=detail, action="csrf")
        await render_error(request, status=403, detail=detail)(scope, receive, send)
