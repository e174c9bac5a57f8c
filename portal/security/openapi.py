"""Document the portal's security in its OpenAPI schema: the bearer token scheme, the sign-in
proxy's headers, and per operation the role it needs (or why it is public)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute

from portal.config import Settings
from portal.security.access import route_access

SIGNED_IN: list[dict[str, list[str]]] = [{"bearerToken": []}, {"signInProxy": []}]


def security_schemes(settings: Settings) -> dict[str, Any]:
    return {
        "bearerToken": {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from `portal token create` or /admin/tokens "
            "(`ifp_...`). Works in every PORTAL_AUTH_MODE.",
        },
        "signInProxy": {
            "type": "apiKey",
            "in": "header",
            "name": settings.proxy_user_header,
            "description": "Set by oauth2-proxy (OIDC) in PORTAL_AUTH_MODE=proxy, together with "
            f"{settings.proxy_email_header} and {settings.proxy_groups_header} (comma-separated "
            "groups, mapped to roles by PORTAL_ROLE_GROUPS). Believed only from "
            "PORTAL_TRUSTED_PROXIES; from anyone else these headers are ignored.",
        },
    }


def _annotate(schema: dict[str, Any], route: APIRoute) -> None:
    access = route_access(route)
    operations = schema.get("paths", {}).get(route.path_format, {})
    for method in route.methods or ():
        operation = operations.get(method.lower())
        if operation is None or access is None:
            continue
        if access.role is None:
            operation["security"] = []
            operation["x-access"] = f"public: {access.note}"
        else:
            operation["security"] = SIGNED_IN
            operation["x-required-role"] = access.role.value


def document_security(app: FastAPI, settings: Settings) -> None:
    build_schema = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build_schema()
        schema.setdefault("components", {})["securitySchemes"] = security_schemes(settings)
        for route in app.routes:
            if isinstance(route, APIRoute) and route.include_in_schema:
                _annotate(schema, route)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
