"""API tokens: issue, list, revoke, and authenticate a presented bearer token.

The secret is returned once, by `issue_token`, and never stored: see
`portal.security.token_secrets` for the format and the hashing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.errors import Conflict, NotFound, Unauthorized, Unprocessable
from portal.models.audit import utcnow
from portal.models.tokens import ApiToken, ApiTokenPublic
from portal.security.roles import Role
from portal.security.token_secrets import mint_secret, parse_token, secret_matches
from portal.services.audit import Actor, record_audit

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
MAX_EXPIRY_DAYS = 3650
MAX_ID = 2**31 - 1
"""Largest id a token row can have (a 32-bit INTEGER on PostgreSQL)."""
LAST_USED_GRANULARITY = timedelta(minutes=1)
BEARER_CHALLENGE = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class TokenRejected(Unauthorized):
    """A presented bearer token is unknown, malformed, expired or revoked."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers=BEARER_CHALLENGE)


@dataclass(frozen=True)
class IssuedToken:
    token: ApiTokenPublic
    secret: str


def _check_request(*, name: str, expires_days: int | None) -> None:
    if not NAME_PATTERN.fullmatch(name):
        raise Unprocessable(
            "token name must be 1-64 characters: lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    if expires_days is not None and not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        raise Unprocessable(f"expires_days must be between 1 and {MAX_EXPIRY_DAYS}")


async def issue_token(
    session: AsyncSession,
    *,
    name: str,
    role: Role,
    actor: Actor,
    expires_days: int | None = None,
    now: datetime | None = None,
) -> IssuedToken:
    """Create a token (audited); the returned secret is the only copy there will ever be."""
    _check_request(name=name, expires_days=expires_days)
    if await _find_by_name(session, name=name) is not None:
        raise Conflict(f"a token named {name!r} already exists")
    now = now or utcnow()
    minted = mint_secret()
    row = ApiToken(
        name=name,
        role=role.value,
        created_by=actor.name[:255],
        lookup_id=minted.lookup_id,
        salt=minted.salt,
        secret_hash=minted.secret_hash,
        created_at=now,
        expires_at=now + timedelta(days=expires_days) if expires_days else None,
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as error:
        raise Conflict(f"a token named {name!r} already exists") from error
    expiry = (
        f"expires {row.expires_at.isoformat(timespec='seconds')}"
        if row.expires_at
        else "never expires"
    )
    await _audit(
        session, actor=actor, action="token.create", name=name, reason=f"role {role}; {expiry}"
    )
    return IssuedToken(token=ApiTokenPublic.model_validate(row), secret=minted.token)


async def _audit(
    session: AsyncSession,
    *,
    actor: Actor,
    action: str,
    name: str,
    reason: str,
    outcome: str = "applied",
) -> None:
    await record_audit(
        session,
        actor=actor.name,
        role=actor.role,
        source_ip=actor.source_ip,
        request_id=actor.request_id,
        action=action,
        outcome=outcome,
        name=name,
        reason=reason,
    )


async def list_tokens(session: AsyncSession) -> list[ApiTokenPublic]:
    rows = await session.exec(select(ApiToken).order_by(col(ApiToken.created_at).desc()))
    return [ApiTokenPublic.model_validate(row) for row in rows]


async def _find_by_name(session: AsyncSession, *, name: str) -> ApiToken | None:
    return (await session.exec(select(ApiToken).where(ApiToken.name == name))).first()


async def revoke_token(
    session: AsyncSession,
    *,
    actor: Actor,
    token_id: int | None = None,
    name: str | None = None,
    now: datetime | None = None,
) -> ApiTokenPublic:
    """Revoke by id or by name (audited); revoking twice keeps the first revocation time."""
    row = await session.get(ApiToken, token_id) if token_id is not None else None
    if name is not None:
        row = await _find_by_name(session, name=name)
    if row is None:
        raise NotFound(f"no token {name if name is not None else token_id!r}")
    outcome = "noop" if row.revoked_at else "applied"
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()
        session.add(row)
        await session.flush()
    await _audit(
        session,
        actor=actor,
        action="token.revoke",
        name=row.name,
        reason=f"role {row.role}",
        outcome=outcome,
    )
    return ApiTokenPublic.model_validate(row)


def _aware(moment: datetime) -> datetime:
    """SQLite hands timestamps back without a zone; they were written in UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


async def authenticate_token(
    session: AsyncSession, *, presented: str, now: datetime | None = None
) -> ApiTokenPublic:
    """The token's record when `presented` is valid now; TokenRejected (401) otherwise.

    Records when the token was last used, at most once a minute per token."""
    parsed = parse_token(presented)
    if parsed is None:
        raise TokenRejected("malformed API token")
    row = (
        await session.exec(select(ApiToken).where(ApiToken.lookup_id == parsed.lookup_id))
    ).first()
    matches = secret_matches(
        presented=parsed.secret,
        salt=row.salt if row else None,
        secret_hash=row.secret_hash if row else None,
    )
    if row is None or not matches:
        raise TokenRejected("invalid API token")
    now = now or utcnow()
    _check_still_valid(row, now=now)
    if row.last_used_at is None or now - _aware(row.last_used_at) >= LAST_USED_GRANULARITY:
        row.last_used_at = now
        session.add(row)
        await session.flush()
    return ApiTokenPublic.model_validate(row)


def _check_still_valid(row: ApiToken, *, now: datetime) -> None:
    if row.revoked_at is not None:
        raise TokenRejected(f"API token {row.name!r} was revoked")
    if row.expires_at is not None and _aware(row.expires_at) <= now:
        raise TokenRejected(f"API token {row.name!r} expired")
