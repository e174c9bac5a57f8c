"""Every route declares who may call it; guards enforce it, and the route matrix test checks
that no route is left without a decision.

- `require_role(Role.viewer)` (or the `ViewerUser`, `OperatorUser`, `AdminUser` aliases): the
  caller needs at least that role; writes are refused for everyone while PORTAL_READ_ONLY is on.
- `public("why")`: no portal identity needed, because the route has its own authentication
  (Flagger gates check their token, GitHub webhooks their signature) or exposes nothing.
Anonymous callers get 401, known callers without the role 403; refusals of writes and of admin
routes are audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts
from starlette.routing import BaseRoute

from portal.errors import Forbidden, PortalError, Unauthorized
from portal.security.denials import record_denial
from portal.security.identities import CurrentUser
from portal.security.roles import Identity, Role
from portal.security.state import SecurityState

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

SIGN_IN_HINTS = {
    "token": "send an API token (Authorization: Bearer ...)",
    "proxy": "open the portal through its sign-in proxy, or send an API token",
    "local": "local mode admits loopback clients only; or send an API token",
}


@dataclass(frozen=True)
class Access:
    """A route's decision: the least role it needs, or None for public with a reason."""

    role: Role | None
    note: str

    @property
    def public(self) -> bool:
        return self.role is None


FRAMEWORK_ROUTES = {
    "/openapi.json": Access(None, "API schema; holds no data"),
    "/docs": Access(None, "API documentation page; holds no data"),
    "/docs/oauth2-redirect": Access(None, "API documentation helper; holds no data"),
    "/redoc": Access(None, "API documentation page; holds no data"),
    "/metrics": Access(None, "Prometheus scrape; keep it inside the cluster (NetworkPolicy)"),
    "/static": Access(None, "static assets"),
}


class RoleGuard:
    """Dependency: the caller's identity when they hold `role`, else 401/403 (audited)."""

    def __init__(self, role: Role) -> None:
        self.role = role
        self.access = Access(role, f"needs the {role} role")

    async def __call__(self, request: Request, identity: CurrentUser) -> Identity:
        refusal = self._refusal(request, identity)
        if refusal is None:
            return identity
        if request.method not in SAFE_METHODS or self.role is Role.admin:
            await record_denial(
                request, identity=identity, status=refusal.status_code, detail=refusal.detail
            )
        raise refusal

    def _refusal(self, request: Request, identity: Identity) -> PortalError | None:
        settings = _security(request).settings
        if not identity.authenticated and not identity.may(self.role):
            return Unauthorized(
                f"sign-in required: {SIGN_IN_HINTS[settings.auth_mode]}",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not identity.may(self.role):
            held = identity.role or "no role"
            return Forbidden(f"{identity.name} has {held}; this needs the {self.role} role")
        if settings.read_only and request.method not in SAFE_METHODS:
            return Forbidden("the portal is read-only (PORTAL_READ_ONLY): no changes are allowed")
        return None


class PublicAccess:
    """Dependency that only declares a route public, with the reason why that is safe."""

    def __init__(self, note: str) -> None:
        self.access = Access(None, note)

    async def __call__(self) -> None:  # async: a plain def would cost a worker-thread hop
        return None


def _security(request: Request) -> SecurityState:
    state: SecurityState = request.app.state.security
    return state


def require_role(role: Role) -> RoleGuard:
    return RoleGuard(role)


def public(note: str) -> PublicAccess:
    return PublicAccess(note)


ViewerUser = Annotated[Identity, Depends(require_role(Role.viewer))]
OperatorUser = Annotated[Identity, Depends(require_role(Role.operator))]
AdminUser = Annotated[Identity, Depends(require_role(Role.admin))]


@dataclass(frozen=True)
class RouteEntry:
    """One route as the app really serves it (router prefixes and include dependencies applied)."""

    path: str
    methods: frozenset[str]
    access: Access | None
    in_schema: bool


def _declared(dependant: Dependant) -> list[Access]:
    found: list[Access] = []
    for dependency in dependant.dependencies:
        access = getattr(dependency.call, "access", None)
        if isinstance(access, Access):
            found.append(access)
        found.extend(_declared(dependency))
    return found


def _strictest(declared: list[Access]) -> Access:
    guarded = [access for access in declared if access.role is not None]
    if not guarded:
        return declared[0]
    return max(guarded, key=lambda access: access.role.rank if access.role else 0)


def _access(path: str, dependant: Dependant | None) -> Access | None:
    declared = _declared(dependant) if dependant is not None else []
    if declared:
        return _strictest(declared)
    return FRAMEWORK_ROUTES.get(path)


def route_entries(routes: Sequence[BaseRoute]) -> list[RouteEntry]:
    """Every route with its access decision (None: a route nobody decided about)."""
    entries = []
    for context in iter_route_contexts(routes):
        path = context.path or ""
        dependant = getattr(context, "dependant", None)
        entries.append(
            RouteEntry(
                path=path,
                methods=frozenset(context.methods or ()),
                access=_access(path, dependant if isinstance(dependant, Dependant) else None),
                in_schema=bool(getattr(context, "include_in_schema", False)),
            )
        )
    return entries


def unclassified_routes(routes: Sequence[BaseRoute]) -> list[str]:
    return [entry.path for entry in route_entries(routes) if entry.access is None]
