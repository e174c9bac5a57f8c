"""Notifications: channels (where messages go), rules (which transitions go there), the outbox
(messages written in the transaction of the state change that caused them, delivered later) and
the last conditions notified per canary and the last DORA level per service and metric (so a
restart compares against what was already told).

A channel's URL and signing secret are stored encrypted (PORTAL_NOTIFY_SECRET_KEY) or as the
name of an environment variable holding them; neither is ever shown after saving.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, SecretStr
from pydantic import Field as SchemaField
from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from portal.domain.notification_rules import Transition
from portal.models.audit import utcnow
from portal.models.timestamps import UtcDateTime

ChannelKind = Literal["slack", "teams", "webhook"]


def _timestamp(*, nullable: bool = False) -> Column[datetime]:
    return Column(UtcDateTime(), nullable=nullable)


class NotificationChannel(SQLModel, table=True):
    """A Slack or Teams incoming webhook, or a generic signed JSON webhook."""

    __tablename__ = "notification_channels"
    __table_args__ = (UniqueConstraint("name", name="uq_notification_channels_name"),)

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64)
    kind: str = Field(max_length=16)
    url_encrypted: str | None = Field(default=None, max_length=4000)
    url_env: str | None = Field(default=None, max_length=128)
    secret_encrypted: str | None = Field(default=None, max_length=1000)
    secret_env: str | None = Field(default=None, max_length=128)
    owner: str | None = Field(default=None, max_length=255)
    """The user whose own channel this is ("notify me" on a canary page uses it)."""
    created_by: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class NotificationRule(SQLModel, table=True):
    """Which transitions, where (cluster, namespace, canary, label selector), to which channel."""

    __tablename__ = "notification_rules"
    __table_args__ = (Index("ix_notification_rules_channel", "channel_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(foreign_key="notification_channels.id")
    transitions: str = Field(max_length=500)
    """Comma-separated `Transition` values."""
    cluster: str | None = Field(default=None, max_length=128)
    namespace: str | None = Field(default=None, max_length=253)
    canary: str | None = Field(default=None, max_length=253)
    service: str | None = Field(default=None, max_length=253)
    """A DORA service name: such a rule selects that service's DORA level drops only."""
    selector: str = Field(default="", max_length=500)
    stale_minutes: int = Field(default=5)
    created_by: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class NotificationOutbox(SQLModel, table=True):
    """One notice for one rule's channel, pending until delivered (alone or with its group).

    `claimed_by`/`claimed_until` make delivery safe for several deliverers: a row is taken by an
    atomic conditional update (FOR UPDATE SKIP LOCKED on PostgreSQL) and the claim expires, so a
    deliverer that died mid-send leaves the row to the next one (at-least-once).
    """

    __tablename__ = "notification_outbox"
    __table_args__ = (
        UniqueConstraint("idempotency_key", name="uq_notification_outbox_idempotency_key"),
        Index("ix_notification_outbox_due", "status", "next_attempt_at"),
        Index("ix_notification_outbox_group", "channel_id", "group_key", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(foreign_key="notification_channels.id")
    rule_id: int | None = Field(default=None)
    idempotency_key: str = Field(max_length=128)
    group_key: str = Field(max_length=900)
    transition: str = Field(max_length=32)
    payload: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default="pending", max_length=16)
    """pending, delivered or failed (gave up: a 4xx answer or too many tries)."""
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(sa_column=_timestamp())
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))
    last_error: str | None = Field(default=None, max_length=1000)
    message_key: str | None = Field(default=None, max_length=128)
    """The Idempotency-Key of the message that carried this row (its group's first row)."""
    created_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())
    delivered_at: datetime | None = Field(default=None, sa_column=_timestamp(nullable=True))


class NotificationState(SQLModel, table=True):
    """The conditions last notified about one subject (a canary): `active` names them."""

    __tablename__ = "notification_states"
    __table_args__ = (UniqueConstraint("subject", name="uq_notification_states_subject"),)

    id: int | None = Field(default=None, primary_key=True)
    subject: str = Field(max_length=900)
    active: str = Field(default="", max_length=200)
    revision: str | None = Field(default=None, max_length=128)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=_timestamp())


class DoraLevelState(SQLModel, table=True):
    """The last DORA level seen for one metric of one service in one cluster and namespace
    (its 30-day window), so a restart neither repeats a drop nor misses one that happened while
    the portal was down. `since` is when that level was first seen: it keys the drop's notice."""

    __tablename__ = "notification_dora_levels"
    __table_args__ = (
        UniqueConstraint(
            "service", "cluster", "namespace", "metric", name="uq_notification_dora_levels_key"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    service: str = Field(max_length=253)
    cluster: str = Field(default="", max_length=128)
    namespace: str = Field(default="", max_length=253)
    metric: str = Field(max_length=32)
    level: str = Field(max_length=16)
    since: datetime = Field(sa_column=_timestamp())


class ChannelCreate(BaseModel):
    """A new channel: the URL (and a webhook's signing secret) sealed, or named env variables."""

    name: str = SchemaField(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]*$")
    kind: ChannelKind
    url: SecretStr | None = SchemaField(default=None, max_length=2000)
    url_env: str | None = SchemaField(default=None, max_length=128)
    secret: SecretStr | None = SchemaField(default=None, min_length=16, max_length=500)
    secret_env: str | None = SchemaField(default=None, max_length=128)
    owner: str | None = SchemaField(default=None, max_length=255)


class ChannelPublic(BaseModel):
    """A channel as shown: where its URL and secret come from, never their values."""

    id: int
    name: str
    kind: str
    url_source: str
    secret_source: str | None
    owner: str | None
    created_by: str
    created_at: datetime
    pending: int
    delivered: int
    failed: int
    last_error: str | None


class RuleCreate(BaseModel):
    channel_id: int = SchemaField(ge=1, le=2**31 - 1)
    transitions: list[Transition] = SchemaField(min_length=1, max_length=len(Transition))
    cluster: str | None = SchemaField(default=None, max_length=128)
    namespace: str | None = SchemaField(default=None, max_length=253)
    canary: str | None = SchemaField(default=None, max_length=253)
    service: str | None = SchemaField(default=None, max_length=253)
    selector: str = SchemaField(default="", max_length=500)
    stale_minutes: int = SchemaField(default=5, ge=1, le=1440)


class RulePublic(RuleCreate):
    id: int
    channel: str
    created_by: str


class OutboxPublic(BaseModel):
    """Delivery status of one queued notice (the payload stays in the database)."""

    id: int
    channel_id: int
    rule_id: int | None
    transition: str
    group_key: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    message_key: str | None
    created_at: datetime
