"""Wire the security pieces into an app; called by the composition root (`create_app`).

Middleware order, outermost first: security headers, the Host check, request id, metrics, the
500 handler, admission (`portal/http/admission.py`, added by `create_app`), body limit, rate limit,
CSRF, then the routes. `install_security` must run before
the error handlers are installed and `install_security_headers` after the request-id
middleware.
"""

from __future__ import annotations

from fastapi import FastAPI

from portal.config import Settings
from portal.security.body_limits import BodyLimitMiddleware
from portal.security.csrf import CsrfMiddleware
from portal.security.headers import SecurityHeadersMiddleware
from portal.security.hosts import HostCheckMiddleware
from portal.security.openapi import document_security
from portal.security.rate_limits import RateLimitMiddleware
from portal.security.state import SecurityState


def install_security(app: FastAPI, settings: Settings) -> None:
    security = SecurityState.build(settings)
    app.state.security = security
    app.add_middleware(CsrfMiddleware, settings=settings)
    app.add_middleware(RateLimitMiddleware, security=security)
    app.add_middleware(BodyLimitMiddleware, settings=settings)
    document_security(app, settings)


def install_security_headers(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(HostCheckMiddleware, settings=settings)
    app.add_middleware(SecurityHeadersMiddleware, settings=settings)
