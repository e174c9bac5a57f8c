"""API tokens for automation: who may call the API without a browser, and until when.

Only a salted SHA-256 of each token's secret is stored. A token reads `ifp_<lookup>_<secret>`:
the short `lookup` id is stored in clear so a presented token finds its row with one indexed
query; the secret is then hashed with the row's own random salt and compared in constant time.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.models.audit import utcnow
from portal.models.timestamps import UtcDateTime


def _timestamp(*, nullable: bool) -> Column[datetime]:
    return Column(UtcDateTime(), nullable=nullable)


class ApiTokenBase(SQLModel):
    name: str = Field(max_length=64)
    role: str = Field(max_length=16)
    created_by: str = Field(max_length=255)


class ApiToken(ApiTokenBase, table=True):
    __tablename__ = "api_tokens"
    __table_args__ = (
        UniqueConstraint("name", name="uq_api_tokens_name"),
        UniqueConstraint("lookup_id", name="uq_api_tokens_lookup_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    lookup_id: str = Field(max_length=32)
    salt: str = Field(max_length=64)
    secret_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp(nullable=False))
    expires_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    last_used_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))


class ApiTokenPublic(ApiTokenBase):
    """What lists show: never the salt or the hash."""

    id: int
    lookup_id: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None
