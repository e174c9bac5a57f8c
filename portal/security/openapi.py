"""Document the portal's security in its OpenAPI schema: the bearer token scheme, the sign-in
proxy's headers, and per operation the role it needs (or why it is public)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from portal.config import Settings
from portal.security.access import RouteEntry, route_entries

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


def _annotate(schema: dict[str, Any], entry: RouteEntry) -> None:
    operations = schema.get("paths", {}).get(entry.path, {})
    for method in entry.methods:
        operation = operations.get(method.lower())
        if operation is None or entry.access is None:
            continue
        if entry.access.role is None:
            operation["security"] = []
            operation["x-access"] = f"public: {entry.access.note}"
        else:
            operation["security"] = SIGNED_IN
            operation["x-required-role"] = entry.access.role.value


def document_security(app: FastAPI, settings: Settings) -> None:
    build_schema = app.openapi

    def openapi() -> dict[str, Any]:
        schema = build_schema()  # cached by FastAPI until the routes change
        schema.setdefault("components", {})["securitySchemes"] = security_schemes(settings)
        for entry in route_entries(app.routes):
            if entry.in_schema:
                _annotate(schema, entry)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
