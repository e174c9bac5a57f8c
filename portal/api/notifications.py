"""Notification channels, rules and delivery status over JSON (admin), the test-message
button's endpoint, and "notify me" for a signed-in user with a channel of their own."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, status
from pydantic import BaseModel

from portal.deps import SessionDep, SettingsDep
from portal.models.notifications import (
    ChannelCreate,
    ChannelPublic,
    OutboxPublic,
    RuleCreate,
    RulePublic,
)
from portal.security.access import AdminUser, OperatorUser
from portal.security.actors import CurrentActor
from portal.services import notification_admin as admin

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])

Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
KubeName = Annotated[
    str, Path(min_length=1, max_length=253, pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$")
]


class ChannelTestResult(BaseModel):
    channel_id: int
    result: str


@router.get("/channels", response_model=list[ChannelPublic])
async def get_channels(session: SessionDep, _admin: AdminUser) -> list[ChannelPublic]:
    return await admin.list_channels(session)


@router.post("/channels", response_model=ChannelPublic, status_code=status.HTTP_201_CREATED)
async def create_channel(
    body: ChannelCreate,
    session: SessionDep,
    settings: SettingsDep,
    _admin: AdminUser,
    actor: CurrentActor,
) -> ChannelPublic:
    return await admin.create_channel(
        session, body=body, box=admin.secret_box(settings), actor=actor
    )


@router.delete("/channels/{channel_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_channel(
    channel_id: Id, session: SessionDep, _admin: AdminUser, actor: CurrentActor
) -> None:
    await admin.delete_channel(session, channel_id=channel_id, actor=actor)


@router.post("/channels/{channel_id}/test", response_model=ChannelTestResult)
async def send_channel_test(
    *,
    channel_id: Id,
    session: SessionDep,
    settings: SettingsDep,
    _admin: AdminUser,
    actor: CurrentActor,
) -> ChannelTestResult:
    """Send one test message now and answer with the receiver's status (or the error)."""
    result = await admin.send_test_message(
        session, settings=settings, channel_id=channel_id, actor=actor, now=datetime.now(UTC)
    )
    return ChannelTestResult(channel_id=channel_id, result=result)


@router.get("/rules", response_model=list[RulePublic])
async def get_rules(session: SessionDep, _admin: AdminUser) -> list[RulePublic]:
    return await admin.list_rules(session)


@router.post("/rules", response_model=RulePublic, status_code=status.HTTP_201_CREATED)
async def create_rule(
    body: RuleCreate, session: SessionDep, _admin: AdminUser, actor: CurrentActor
) -> RulePublic:
    return await admin.create_rule(session, body=body, actor=actor)


@router.delete("/rules/{rule_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_rule(
    rule_id: Id, session: SessionDep, _admin: AdminUser, actor: CurrentActor
) -> None:
    await admin.delete_rule(session, rule_id=rule_id, actor=actor)


@router.get("/outbox", response_model=list[OutboxPublic])
async def get_outbox(session: SessionDep, _admin: AdminUser) -> list[OutboxPublic]:
    """The last 50 queued notices with their delivery status and last error."""
    return await admin.recent_messages(session)


@router.post(
    "/notify-me/{cluster}/{namespace}/{name}",
    response_model=RulePublic,
    status_code=status.HTTP_201_CREATED,
)
async def notify_me(
    cluster: Annotated[str, Path(min_length=1, max_length=128)],
    namespace: KubeName,
    name: KubeName,
    session: SessionDep,
    _operator: OperatorUser,
    actor: CurrentActor,
) -> RulePublic:
    """Send this canary's transitions to the caller's own channel (409 when they have none)."""
    return await admin.notify_me(
        session, cluster=cluster, namespace=namespace, name=name, actor=actor
    )
