"""The calls state changes make to queue their notices, inside their own transaction: an
operator's rollback (actions) and a freeze started or lifted (gates_freezes)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from portal.domain.canaries import CanaryView
from portal.domain.notification_events import freeze_notice, operator_rollback_notice
from portal.kube.view import ClusterView
from portal.models.gates import Freeze
from portal.services.notification_outbox import enqueue_notices, labels_of


async def notify_operator_rollback(
    session: AsyncSession,
    *,
    view: ClusterView,
    canary: CanaryView,
    actor: str,
    reason: str,
    action_id: int | None,
    now: datetime,
) -> None:
    raw = view.get("canaries", cluster=canary.cluster, namespace=canary.namespace, name=canary.name)
    notice = operator_rollback_notice(
        (canary.cluster, canary.namespace, canary.name),
        labels=labels_of(raw),
        revision=canary.revision,
        actor=actor,
        reason=reason,
        action_id=action_id,
        at=now,
    )
    await enqueue_notices(session, [notice], now=now)


async def notify_freeze(session: AsyncSession, freeze: Freeze, *, started: bool) -> None:
    assert freeze.id is not None
    at = (freeze.created_at if started else freeze.lifted_at) or datetime.now(UTC)
    notice = freeze_notice(
        started=started,
        freeze_id=freeze.id,
        cluster=freeze.cluster,
        namespace=freeze.namespace,
        reason=freeze.reason,
        actor=(freeze.created_by if started else freeze.lifted_by) or "-",
        at=at,
    )
    await enqueue_notices(session, [notice], now=datetime.now(UTC))
