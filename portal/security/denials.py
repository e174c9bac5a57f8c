"""Audit denied attempts (401/403 on writes and admin routes, bad tokens, bad CSRF, later bad
webhook signatures) with their source address.

Each is written in a short transaction of its own, so the refusal that follows cannot roll it
back. An anonymous flood must not fill the database: each caller (its identity, else its client
address taken from the trusted proxy chain) and the replica as a whole get a budget of itemised
denials per window; past it a denial is counted into the caller's tally, written as one
aggregate row (at the caller's next itemised denial, once a minute, and on shutdown). Counting
never stops, and one flooding caller cannot silence the audit of another.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Protocol

import structlog
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import HTTPConnection

from portal.db import SessionMaker
from portal.models.audit import utcnow
from portal.security.addresses import address_proxies, client_address
from portal.security.denial_tallies import Tally
from portal.security.roles import Identity
from portal.security.state import SecurityState
from portal.services.audit import record_audit
from portal.services.loop_failures import LoopFailures

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


def denial_key(identity: Identity | None, source: str | None) -> str:
    """Whose budget a denial spends: the signed-in identity's, else the client address's."""
    if identity is not None and identity.authenticated:
        return f"id:{identity.name}"
    return f"addr:{source or 'unknown'}"


async def record_denial(
    connection: HTTPConnection,
    *,
    identity: Identity | None,
    status: int,
    detail: str,
    action: str | None = None,
) -> None:
    """Audit one refusal (outcome "denied"); past the caller's budget it is counted into the
    caller's tally instead, written as one aggregate row later (never dropped)."""
    security: SecurityState = connection.app.state.security
    source = client_address(connection.scope, address_proxies(security.settings))
    method = connection.scope.get("method", "")
    action = action or _denied_action(connection)
    key = denial_key(identity, source)
    actor = identity.name if identity else "unidentified"
    if security.denial_budget.consume([("per_caller", key), ("overall", "all")]) is not None:
        security.denial_tallies.add(key, action=action, actor=actor, source=source, at=utcnow())
        log.warning("denial aggregated: over budget", source_ip=source, action=action)
        return
    pending = security.denial_tallies.take(key)
    portal: _HasSessionmaker = connection.app.state.portal
    target = {param: connection.path_params.get(param) for param in _TARGET_PARAMS}
    try:
        async with portal.sessionmaker() as session:
            if pending is not None:
                await _record_tally(session, pending)
            await record_audit(
                session,
                actor=actor,
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


async def _record_tally(session: AsyncSession, tally: Tally) -> None:
    await record_audit(
        session,
        actor=tally.actor,
        role="none",
        action=tally.action,
        outcome="denied",
        source_ip=tally.source,
        error=tally.summary(),
        at=tally.last,
    )


async def flush_denial_tallies(app: Any) -> int:
    """Write every pending tally as one aggregate audit row; the number written."""
    security: SecurityState = app.state.security
    tallies = security.denial_tallies.take_all()
    if not tallies:
        return 0
    portal: _HasSessionmaker = app.state.portal
    async with portal.sessionmaker() as session:
        for tally in tallies:
            await _record_tally(session, tally)
        await session.commit()
    return len(tallies)


async def keep_flushing_denial_tallies(app: Any, *, every_seconds: float = 60.0) -> None:
    """Background task: aggregate rows once a minute (and once more on shutdown)."""
    failures = LoopFailures(log, "could not write aggregated denials")
    try:
        while True:
            await asyncio.sleep(every_seconds)
            try:
                await flush_denial_tallies(app)
            except Exception as error:
                failures.report(error)
    finally:
        with contextlib.suppress(Exception):
            await asyncio.shield(flush_denial_tallies(app))
