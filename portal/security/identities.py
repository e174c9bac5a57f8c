"""Who is asking: one identity per request, from exactly one source.

1. An `Authorization` header means an API token, in every mode; a bad one is a 401, never a
   fallback to another source.
2. In `proxy` mode, the oauth2-proxy headers, only when the TCP peer is a trusted proxy.
3. In `local` mode, the local admin, only when the TCP peer is a loopback address.
4. Otherwise anonymous (with PORTAL_ANONYMOUS_ROLE, none by default).
"""

from __future__ import annotations

from typing import Annotated, Protocol

from fastapi import Depends, Request

from portal.config import Settings
from portal.db import SessionMaker
from portal.security.addresses import peer_is_loopback, peer_is_trusted
from portal.security.denials import record_denial
from portal.security.roles import Identity, Role, anonymous, role_for_groups
from portal.security.token_secrets import bearer_token
from portal.services.tokens import TokenRejected, authenticate_token

LOCAL_ADMIN = Identity(name="local-admin", role=Role.admin, auth_method="local")
MAX_HEADER_VALUE = 255


class _PortalResources(Protocol):
    settings: Settings
    sessionmaker: SessionMaker


def _resources(request: Request) -> _PortalResources:
    resources: _PortalResources = request.app.state.portal
    return resources


def proxy_identity(request: Request, settings: Settings) -> Identity | None:
    """The user oauth2-proxy vouches for, or None when the headers name nobody."""
    headers = request.headers
    user = headers.get(settings.proxy_user_header, "").strip()[:MAX_HEADER_VALUE]
    email = headers.get(settings.proxy_email_header, "").strip()[:MAX_HEADER_VALUE] or None
    if not (user or email):
        return None
    raw_groups = headers.get(settings.proxy_groups_header, "")
    groups = tuple(group.strip() for group in raw_groups.split(",") if group.strip())
    role = role_for_groups(groups, settings.role_groups.items())
    if role is None and settings.anonymous_role:
        role = Role(settings.anonymous_role)
    return Identity(
        name=user or email or "", role=role, auth_method="proxy", email=email, groups=groups
    )


async def token_identity(request: Request, authorization: str) -> Identity:
    resources = _resources(request)
    presented = bearer_token(authorization)
    try:
        if presented is None:
            raise TokenRejected("the Authorization header must be 'Bearer <API token>'")
        async with resources.sessionmaker() as session:
            token = await authenticate_token(session, presented=presented)
            await session.commit()
    except TokenRejected as error:
        await record_denial(
            request, identity=None, status=401, detail=error.detail, action="token.authenticate"
        )
        raise
    return Identity(name=f"token:{token.name}", role=Role(token.role), auth_method="token")


async def resolve_identity(request: Request) -> Identity:
    settings = _resources(request).settings
    authorization = request.headers.get("authorization")
    if authorization is not None:
        return await token_identity(request, authorization)
    if settings.auth_mode == "proxy" and peer_is_trusted(request.scope, settings.trusted_proxies):
        vouched = proxy_identity(request, settings)
        if vouched is not None:
            return vouched
    if settings.auth_mode == "local" and peer_is_loopback(request.scope):
        return LOCAL_ADMIN
    return anonymous(settings.anonymous_role)


async def get_identity(request: Request) -> Identity:
    """The request's identity (resolved once per request), also kept for templates."""
    identity: Identity | None = getattr(request.state, "identity", None)
    if identity is None:
        identity = await resolve_identity(request)
        request.state.identity = identity
    return identity


CurrentUser = Annotated[Identity, Depends(get_identity)]
