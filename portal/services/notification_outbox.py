"""Write notices to the notification outbox inside the caller's transaction.

Whoever changes state (a run ends, an operator rolls back, a freeze starts) calls
`enqueue_notices` with the same session, so the outbox row commits with the change or not at
all. One row per notice and selecting rule; its idempotency key names the rule and the notice,
so the same transition seen twice (a replay after a restart) is written once. Rows are
delivered later by `notification_sending`, grouped with the other pending rows of their burst.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from portal.domain.notification_rules import (
    TRANSITION_TITLES,
    Notice,
    RuleScope,
    Transition,
    parse_selector,
    selects,
)
from portal.models.notifications import NotificationOutbox, NotificationRule

log = structlog.get_logger("portal.notifications")
TRANSITION_VALUES = frozenset(str(value) for value in Transition)


def rule_scope(rule: NotificationRule) -> RuleScope:
    transitions = frozenset(
        Transition(value) for value in rule.transitions.split(",") if value in TRANSITION_VALUES
    )
    return RuleScope(
        transitions=transitions,
        cluster=rule.cluster,
        namespace=rule.namespace,
        canary=rule.canary,
        selector=parse_selector(rule.selector),
        stale_minutes=rule.stale_minutes,
        service=rule.service,
    )


def notice_payload(notice: Notice) -> dict[str, Any]:
    """The stored form of a notice; `notification_messages` renders it per channel kind."""
    subject = notice.subject
    return {
        "transition": str(notice.transition),
        "title": TRANSITION_TITLES[notice.transition],
        "subject": {
            "cluster": subject.cluster,
            "namespace": subject.namespace,
            "name": subject.name,
            "service": subject.service,
        },
        "subject_text": subject.describe(),
        "at": notice.at.astimezone(UTC).isoformat(timespec="seconds"),
        "cause": notice.cause,
        "details": dict(notice.details),
    }


def idempotency_key(rule_id: int, notice: Notice) -> str:
    digest = hashlib.sha256(f"{rule_id}|{notice.key}".encode()).hexdigest()[:40]
    return f"if-{digest}"


async def _rules(session: AsyncSession) -> list[NotificationRule]:
    return list(await session.exec(select(NotificationRule)))


async def enqueue_notices(
    session: AsyncSession, notices: Iterable[Notice], *, now: datetime
) -> int:
    """Outbox rows for every rule that selects each notice; returns how many were written."""
    pending = list(notices)
    if not pending:
        return 0
    written = 0
    rules = await _rules(session)
    for notice in pending:
        for rule in rules:
            if rule.id is not None and selects(rule_scope(rule), notice):
                written += await _write(session, rule, notice, now=now)
    return written


async def _write(
    session: AsyncSession, rule: NotificationRule, notice: Notice, *, now: datetime
) -> int:
    assert rule.id is not None
    key = idempotency_key(rule.id, notice)
    seen = await session.exec(
        select(NotificationOutbox.id).where(NotificationOutbox.idempotency_key == key)
    )
    if seen.first() is not None:
        return 0
    row = NotificationOutbox(
        channel_id=rule.channel_id,
        rule_id=rule.id,
        idempotency_key=key,
        group_key=notice.group,
        transition=str(notice.transition),
        payload=json.dumps(notice_payload(notice)),
        next_attempt_at=now,
        created_at=now,
    )
    try:
        async with session.begin_nested():  # a racing twin must not undo the caller's change
            session.add(row)
    except IntegrityError:
        log.info("notification already queued", key=key)
        return 0
    return 1


def labels_of(obj: Mapping[str, Any] | None) -> dict[str, str]:
    """The metadata.labels of a raw Kubernetes object, as strings."""
    labels = ((obj or {}).get("metadata") or {}).get("labels") or {}
    return {str(key): str(value) for key, value in labels.items()}
