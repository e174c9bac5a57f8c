"""API tokens over JSON (admin): list, create (the secret is in the answer, once), revoke."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel, Field

from portal.deps import SessionDep
from portal.models.tokens import ApiTokenPublic
from portal.security.access import AdminUser
from portal.security.actors import CurrentActor
from portal.security.roles import Role
from portal.services.tokens import MAX_EXPIRY_DAYS, MAX_ID, issue_token, list_tokens, revoke_token

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"])

NO_STORE = "no-store"
"""Responses showing a new token's secret: no browser or proxy cache may keep them."""


class TokenCreate(BaseModel):
    name: str = Field(min_length=1, max_length=64, examples=["ci"])
    role: Role
    expires_days: int | None = Field(default=None, ge=1, le=MAX_EXPIRY_DAYS)


class TokenCreated(BaseModel):
    token: ApiTokenPublic
    secret: str = Field(description="The token itself; shown only in this answer.")


@router.get("", response_model=list[ApiTokenPublic])
async def get_tokens(session: SessionDep, _admin: AdminUser) -> list[ApiTokenPublic]:
    return await list_tokens(session)


@router.post("", response_model=TokenCreated, status_code=status.HTTP_201_CREATED)
async def create_token(
    body: TokenCreate,
    response: Response,
    session: SessionDep,
    _admin: AdminUser,
    actor: CurrentActor,
) -> TokenCreated:
    """Issue a token; the answer carries its secret once and must never be cached."""
    issued = await issue_token(
        session, name=body.name, role=body.role, actor=actor, expires_days=body.expires_days
    )
    response.headers["Cache-Control"] = NO_STORE
    return TokenCreated(token=issued.token, secret=issued.secret)


@router.delete("/{token_id}", response_model=ApiTokenPublic)
async def delete_token(
    token_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    session: SessionDep,
    _admin: AdminUser,
    actor: CurrentActor,
) -> ApiTokenPublic:
    return await revoke_token(session, token_id=token_id, actor=actor)
