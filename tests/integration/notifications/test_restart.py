"""Messages pending when the portal stops are delivered by the next portal process."""

from __future__ import annotations

from sqlmodel import select

from portal.config import Settings
from portal.demo_receiver import Receiver
from portal.domain.notification_rules import Transition
from portal.models.notifications import NotificationOutbox
from portal.services.audit import Actor
from portal.services.gates_freezes import create_freeze
from tests.integration.notifications.conftest import KEY, Wiring
from tests.support.apps import running_app
from tests.support.waiting import wait_until


async def test_pending_messages_survive_a_portal_restart(
    database_url: str, wiring: Wiring, receiver: Receiver
) -> None:
    await wiring.add_rule("webhook", [Transition.FREEZE_STARTED])
    base = Settings(
        database_url=database_url,
        log_format="console",
        notify_secret_key=KEY,
        notify_tick_seconds=0.05,
    )
    held = base.model_copy(update={"notify_group_seconds": 3600.0})
    async with running_app(held) as first, first.app.state.portal.sessionmaker() as session:
        await create_freeze(
            session,
            cluster="prod",
            namespace="payments",
            reason="quarter end",
            actor=Actor(name="alice", role="admin"),
        )
        await session.commit()
    assert receiver.received == []
    async with wiring.sessions() as session:
        [row] = list(await session.exec(select(NotificationOutbox)))
    assert (row.status, row.attempts, row.claimed_by) == ("pending", 0, None)

    async with running_app(base.model_copy(update={"notify_group_seconds": 0.0})):
        await wait_until(lambda: len(receiver.delivered()) == 1, what="the pending message")

    [message] = receiver.delivered()
    assert message.headers["Idempotency-Key"] == row.idempotency_key
    assert message.signature_valid is True
    assert [event["cause"] for event in message.json()["events"]] == ["quarter end"]
