"""Audit denied attempts (401/403 on writes and admin routes, bad tokens, bad CSRF, later bad
webhook signatures) with their source address.

Each is written in a short transaction of its own, so the refusal that follows cannot roll it
back. An anonymous flood must not fill the database: each source address (and the replica as a
whole) gets a budget of audited denials per window; past it a denial is only logged.
"""

from __future__ import annotations

from typing import Protocol

import structlog
from starlette.requests import HTTPConnection

from portal.db import SessionMaker
from portal.security.addresses import client_address
from portal.security.roles import Identity
from portal.security.state import SecurityState
from portal.services.audit import record_audit

log = structlog.get_logger("portal.security")

_TARGET_PARAMS = ("cluster", "namespace", "name")


class _HasSessionmaker(Protocol):
    sessionmaker: SessionMaker


def _denied_action(connection: HTTPConnection) -> str:
    action = connection.path_params.get("action")
    if action:
        return str(action)
    route = connection.scope.get("route")
    return str(getattr(route, "name", None) or connection.url.path)


async def record_denial(
    connection: HTTPConnection,
    *,
    identity: Identity | None,
    status: int,
    detail: str,
    action: str | None = None,
) -> None:
    """Audit one refusal (outcome "denied") unless the source is over its budget."""
    security: SecurityState = connection.app.state.security
    source = client_address(connection.scope, security.settings.trusted_proxies)
    method = connection.scope.get("method", "")
    action = action or _denied_action(connection)
    budget = [("per_source", source or "unknown"), ("overall", "all")]
    if security.denial_budget.consume(budget) is not None:
        log.warning("denial not audited: over budget", source_ip=source, action=action)
        return
    portal: _HasSessionmaker = connection.app.state.portal
    target = {key: connection.path_params.get(key) for key in _TARGET_PARAMS}
    try:
        async with portal.sessionmaker() as session:
            await record_audit(
                session,
                actor=identity.name if identity else "unidentified",
                role=(identity.role or "none") if identity else "none",
                action=action,
                outcome="denied",
                source_ip=source,
                error=f"{status}: {detail} ({method} {connection.url.path})",
                request_id=connection.scope.get("state", {}).get("request_id"),
                **target,
            )
            await session.commit()
    except Exception:
        log.exception("could not audit a denial", source_ip=source, action=action)
