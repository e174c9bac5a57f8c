"""Manage notification channels and rules (admin), send a test message, and "notify me" on a
canary page. Every change is audited in its own transaction; secrets go in sealed or as the
name of a NOTIFY_* environment variable and never come back out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import httpx
from sqlalchemy import delete, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.config import Settings
from portal.domain.notification_messages import render_message
from portal.domain.notification_rules import (
    TRANSITION_TITLES,
    Notice,
    SelectorInvalid,
    Subject,
    Transition,
    parse_selector,
)
from portal.errors import Conflict, NotFound, Unprocessable
from portal.models.notifications import (
    ChannelCreate,
    ChannelPublic,
    NotificationChannel,
    NotificationOutbox,
    NotificationRule,
    OutboxPublic,
    RuleCreate,
    RulePublic,
)
from portal.services.actions_context import audit_by
from portal.services.audit import Actor
from portal.services.notification_outbox import notice_payload
from portal.services.notification_secrets import ENV_NAME, SecretBox
from portal.services.notification_sending import delivery_config, post_message

NOTIFY_ME_TRANSITIONS = (
    Transition.FAILED,
    Transition.OPERATOR_ROLLBACK,
    Transition.WAITING_APPROVAL,
    Transition.ATTENTION_BEGAN,
    Transition.ATTENTION_ENDED,
    Transition.STUCK,
)


class ChannelNotFound(NotFound):
    """No notification channel with that id."""


class RuleNotFound(NotFound):
    """No notification rule with that id."""


def _source(sealed: str | None, env: str | None) -> str | None:
    if sealed is not None:
        return "sealed"
    return f"env:{env}" if env else None


async def _counts(session: AsyncSession) -> dict[tuple[int, str], int]:
    rows = await session.exec(
        select(NotificationOutbox.channel_id, NotificationOutbox.status, func.count()).group_by(
            col(NotificationOutbox.channel_id), col(NotificationOutbox.status)
        )
    )
    return {(channel, status): count for channel, status, count in rows}


async def _last_errors(session: AsyncSession) -> dict[int, str]:
    rows = await session.exec(
        select(NotificationOutbox.channel_id, NotificationOutbox.last_error)
        .where(col(NotificationOutbox.last_error).is_not(None))
        .order_by(col(NotificationOutbox.id))
    )
    return {channel: error for channel, error in rows if error}


def channel_public(
    channel: NotificationChannel, counts: dict[tuple[int, str], int], errors: dict[int, str]
) -> ChannelPublic:
    assert channel.id is not None
    return ChannelPublic(
        id=channel.id,
        name=channel.name,
        kind=channel.kind,
        url_source=_source(channel.url_encrypted, channel.url_env) or "-",
        secret_source=_source(channel.secret_encrypted, channel.secret_env),
        owner=channel.owner,
        created_by=channel.created_by,
        created_at=_in_utc(channel.created_at),
        pending=counts.get((channel.id, "pending"), 0),
        delivered=counts.get((channel.id, "delivered"), 0),
        failed=counts.get((channel.id, "failed"), 0),
        last_error=errors.get(channel.id),
    )


def _in_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def list_channels(session: AsyncSession) -> list[ChannelPublic]:
    counts, errors = await _counts(session), await _last_errors(session)
    rows = await session.exec(select(NotificationChannel).order_by(col(NotificationChannel.id)))
    return [channel_public(row, counts, errors) for row in rows]


async def create_channel(
    session: AsyncSession, *, body: ChannelCreate, box: SecretBox, actor: Actor
) -> ChannelPublic:
    _check_sources(body)
    taken = await session.exec(
        select(NotificationChannel.id).where(NotificationChannel.name == body.name)
    )
    if taken.first() is not None:
        raise Conflict(f"a channel named {body.name!r} exists")
    channel = NotificationChannel(
        name=body.name,
        kind=body.kind,
        url_encrypted=box.seal(body.url.get_secret_value()) if body.url else None,
        url_env=body.url_env,
        secret_encrypted=box.seal(body.secret.get_secret_value()) if body.secret else None,
        secret_env=body.secret_env,
        owner=body.owner,
        created_by=actor.name,
    )
    session.add(channel)
    await session.flush()
    await audit_by(
        session,
        actor,
        action="notification-channel-create",
        outcome="applied",
        reason=_what(channel),
    )
    return channel_public(channel, {}, {})


def _what(channel: NotificationChannel) -> str:
    return f"channel #{channel.id} {channel.name} ({channel.kind})"


def _check_sources(body: ChannelCreate) -> None:
    if (body.url is None) == (body.url_env is None):
        raise Unprocessable("give either url or url_env (the name of a NOTIFY_* variable)")
    if body.url is not None and not body.url.get_secret_value().startswith(("https://", "http://")):
        raise Unprocessable("url must start with https:// or http://")
    if body.secret is not None and body.secret_env is not None:
        raise Unprocessable("give either secret or secret_env, not both")
    if body.kind == "webhook" and body.secret is None and body.secret_env is None:
        raise Unprocessable("a generic webhook is signed: give secret or secret_env")
    for name in (body.url_env, body.secret_env):
        if name is not None and not ENV_NAME.fullmatch(name):
            raise Unprocessable(
                f"{name!r}: environment variables referenced must be NOTIFY_[A-Z0-9_]+"
            )


async def _channel(session: AsyncSession, channel_id: int) -> NotificationChannel:
    channel = await session.get(NotificationChannel, channel_id)
    if channel is None:
        raise ChannelNotFound(f"no notification channel #{channel_id}")
    return channel


async def delete_channel(session: AsyncSession, *, channel_id: int, actor: Actor) -> None:
    """Remove a channel with its rules and its undelivered and delivered messages."""
    channel = await _channel(session, channel_id)
    await session.exec(
        delete(NotificationOutbox).where(col(NotificationOutbox.channel_id) == channel_id)
    )
    await session.exec(
        delete(NotificationRule).where(col(NotificationRule.channel_id) == channel_id)
    )
    await session.delete(channel)
    await audit_by(
        session,
        actor,
        action="notification-channel-delete",
        outcome="applied",
        reason=_what(channel),
    )


def rule_public(rule: NotificationRule, channel_name: str) -> RulePublic:
    assert rule.id is not None
    return RulePublic(
        id=rule.id,
        channel_id=rule.channel_id,
        channel=channel_name,
        transitions=[Transition(value) for value in rule.transitions.split(",") if value],
        cluster=rule.cluster,
        namespace=rule.namespace,
        canary=rule.canary,
        service=rule.service,
        selector=rule.selector,
        stale_minutes=rule.stale_minutes,
        created_by=rule.created_by,
    )


async def list_rules(session: AsyncSession) -> list[RulePublic]:
    names = {row.id: row.name for row in await session.exec(select(NotificationChannel))}
    rows = await session.exec(select(NotificationRule).order_by(col(NotificationRule.id)))
    return [rule_public(row, names.get(row.channel_id, "?")) for row in rows]


async def create_rule(session: AsyncSession, *, body: RuleCreate, actor: Actor) -> RulePublic:
    channel = await _channel(session, body.channel_id)
    try:
        parse_selector(body.selector)
    except SelectorInvalid as error:
        raise Unprocessable(f"selector: {error}") from error
    if not body.transitions:
        raise Unprocessable("a rule needs at least one transition")
    rule = NotificationRule(
        channel_id=body.channel_id,
        transitions=",".join(dict.fromkeys(str(value) for value in body.transitions)),
        cluster=body.cluster or None,
        namespace=body.namespace or None,
        canary=body.canary or None,
        service=body.service or None,
        selector=body.selector.strip(),
        stale_minutes=body.stale_minutes,
        created_by=actor.name,
    )
    session.add(rule)
    await session.flush()
    await audit_by(
        session,
        actor,
        action="notification-rule-create",
        outcome="applied",
        cluster=rule.cluster,
        namespace=rule.namespace,
        name=rule.canary,
        reason=f"rule #{rule.id} to {_what(channel)}: {rule.transitions}",
    )
    return rule_public(rule, channel.name)


async def delete_rule(session: AsyncSession, *, rule_id: int, actor: Actor) -> None:
    rule = await session.get(NotificationRule, rule_id)
    if rule is None:
        raise RuleNotFound(f"no notification rule #{rule_id}")
    await session.delete(rule)
    await audit_by(
        session,
        actor,
        action="notification-rule-delete",
        outcome="applied",
        reason=f"rule #{rule_id}",
    )


async def recent_messages(session: AsyncSession, *, limit: int = 50) -> list[OutboxPublic]:
    rows = await session.exec(
        select(NotificationOutbox).order_by(col(NotificationOutbox.id).desc()).limit(limit)
    )
    return [
        OutboxPublic.model_validate(
            row.model_dump(exclude={"payload"})
            | {
                "created_at": _in_utc(row.created_at),
                "next_attempt_at": _in_utc(row.next_attempt_at),
            }
        )
        for row in rows
    ]


def secret_box(settings: Settings) -> SecretBox:
    key = settings.notify_secret_key
    return SecretBox(key=key.get_secret_value() if key else None)


async def send_test_message(
    session: AsyncSession, *, settings: Settings, channel_id: int, actor: Actor, now: datetime
) -> str:
    """Send one test message straight away (not through the outbox); say what happened."""
    channel = await _channel(session, channel_id)
    target = secret_box(settings).target(channel)
    config = delivery_config(settings)
    event = notice_payload(_test_notice(actor, now))
    key = f"test-{channel_id}-{int(now.timestamp())}"
    message = render_message(channel.kind, [event], portal_url=config.portal_url, message_id=key)
    async with httpx.AsyncClient(follow_redirects=False) as client:
        answer = await post_message(
            client,
            target,
            kind=channel.kind,
            message=message,
            message_key=key,
            timeout_seconds=config.timeout_seconds,
        )
    ok = answer.status is not None and 200 <= answer.status < 300
    result = f"HTTP {answer.status}" if answer.status is not None else str(answer.error)
    await audit_by(
        session,
        actor,
        action="notification-test",
        outcome="applied" if ok else "failed",
        reason=f"test message to {_what(channel)}: {result}",
        error=None if ok else result,
    )
    return result


def _test_notice(actor: Actor, now: datetime) -> Notice:
    return Notice(
        transition=Transition.ATTENTION_BEGAN,
        subject=Subject(None),
        at=now,
        key=f"test:{now.isoformat()}",
        group="test",
        cause=f"test message sent by {actor.name}",
    )


async def own_channel(session: AsyncSession, *, user: str) -> NotificationChannel | None:
    rows = await session.exec(
        select(NotificationChannel)
        .where(NotificationChannel.owner == user)
        .order_by(col(NotificationChannel.id))
    )
    return rows.first()


async def notify_me(
    session: AsyncSession, *, cluster: str, namespace: str, name: str, actor: Actor
) -> RulePublic:
    """A rule sending this canary's transitions to the user's own channel (idempotent)."""
    channel = await own_channel(session, user=actor.name)
    if channel is None or channel.id is None:
        raise Conflict("you have no notification channel of your own; ask an admin to add one")
    existing = (
        await session.exec(
            select(NotificationRule).where(
                NotificationRule.channel_id == channel.id,
                NotificationRule.cluster == cluster,
                NotificationRule.namespace == namespace,
                NotificationRule.canary == name,
            )
        )
    ).first()
    if existing is not None:
        return rule_public(existing, channel.name)
    body = RuleCreate(
        channel_id=channel.id,
        transitions=list(NOTIFY_ME_TRANSITIONS),
        cluster=cluster,
        namespace=namespace,
        canary=name,
    )
    return await create_rule(session, body=body, actor=actor)


def transition_choices() -> Sequence[tuple[str, str]]:
    return [(str(value), TRANSITION_TITLES[value]) for value in Transition]
