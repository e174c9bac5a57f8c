"""The outbox delivered to a real receiver on 127.0.0.1: payload shapes, signatures, retries,
grouping of a failing release, rate limits and rule selection; on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import httpx
from sqlmodel import col, select

from portal.demo_receiver import Receiver, Reply
from portal.domain.flagger_event_kinds import RollbackCause
from portal.domain.notification_events import (
    freeze_notice,
    operator_rollback_notice,
    run_end_notices,
)
from portal.domain.notification_rules import Notice, Transition
from portal.domain.run_records import AmendRunEnd, EndRun, Outcome
from portal.models.notifications import NotificationOutbox
from portal.services.notification_outbox import enqueue_notices
from tests.integration.notifications.conftest import SECRET, Wiring, sender

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
KEY = ("prod", "payments", "ledger")
LABELS = {"app": "ledger", "team": "payments"}


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def failed_release() -> list[Notice]:
    """What a failing release produces: the run ends rolled back, its cause explained later,
    and an operator's rollback of the same revision."""
    end = EndRun(
        started_at=NOW - timedelta(minutes=3),
        ended_at=NOW,
        duration_seconds=180.0,
        outcome=Outcome.ROLLED_BACK,
        reason="Halt advancement request-success-rate 91.2 < 99",
        cause=RollbackCause.FAILED_CHECKS,
        revision="rev-7",
        image="ledger:1.7",
    )
    amend = AmendRunEnd(
        reason="Rolling back ledger.payments failed checks threshold reached 5",
        cause=RollbackCause.FAILED_CHECKS,
    )
    notices = run_end_notices(KEY, [end, amend], labels=LABELS, revision="rev-7", at=NOW)
    rollback = operator_rollback_notice(
        KEY,
        labels=LABELS,
        revision="rev-7",
        actor="alice",
        reason="bad release",
        action_id=4,
        at=NOW,
    )
    return [*notices, rollback]


async def enqueue(wiring: Wiring, notices: list[Notice], *, at: datetime = NOW) -> int:
    async with wiring.sessions() as session:
        written = await enqueue_notices(session, notices, now=at)
        await session.commit()
    return written


async def outbox(wiring: Wiring) -> list[NotificationOutbox]:
    async with wiring.sessions() as session:
        return list(
            await session.exec(select(NotificationOutbox).order_by(col(NotificationOutbox.id)))
        )


async def test_failing_release_goes_out_as_one_slack_message(
    wiring: Wiring, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    await wiring.add_rule("slack")
    assert await enqueue(wiring, failed_release()) == 3
    deliverer = sender(wiring, http, clock=Clock())

    assert await deliverer.deliver_due() == 1

    [message] = receiver.delivered()
    body = message.json()
    assert (message.path, message.problems) == ("/hooks/slack", ())
    assert body["text"] == "payments/ledger on prod: failed → rolled back by an operator"
    assert [block["type"] for block in body["blocks"]] == [
        "header",
        "section",
        "section",
        "section",
        "actions",
    ]
    assert body["blocks"][1]["text"]["type"] == "mrkdwn"
    assert (
        "request-success-rate 91.2 < 99 (cause: failed-checks)" in body["blocks"][1]["text"]["text"]
    )
    assert [button["url"] for button in body["blocks"][4]["elements"]] == [
        "https://portal.example/canaries/prod/payments/ledger",
        "https://portal.example/canaries/prod/payments/ledger#action-approve",
        "https://portal.example/canaries/prod/payments/ledger#action-rollback",
    ]
    rows = await outbox(wiring)
    assert [(row.status, row.attempts) for row in rows] == [("delivered", 1)] * 3
    assert {row.message_key for row in rows} == {rows[0].idempotency_key}
    assert message.headers["Idempotency-Key"] == rows[0].idempotency_key


async def test_teams_gets_an_adaptive_card(
    wiring: Wiring, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    await wiring.add_rule("teams")
    await enqueue(wiring, failed_release()[:1])

    await sender(wiring, http, clock=Clock()).deliver_due()

    [message] = receiver.delivered()
    body = message.json()
    assert (message.path, message.problems) == ("/hooks/teams", ())
    assert body["type"] == "message"
    [attachment] = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert [item["type"] for item in card["body"]] == [
        "TextBlock",
        "TextBlock",
        "TextBlock",
        "FactSet",
    ]
    assert card["body"][3]["facts"][0] == {"title": "revision", "value": "rev-7"}
    assert [action["type"] for action in card["actions"]] == ["Action.OpenUrl"] * 3


async def test_generic_webhook_is_signed_over_the_raw_body(
    wiring: Wiring, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    await wiring.add_rule("webhook")
    freeze = freeze_notice(
        started=True,
        freeze_id=9,
        cluster="prod",
        namespace=None,
        reason="holidays",
        actor="bob",
        at=NOW,
    )
    await enqueue(wiring, [freeze])

    await sender(wiring, http, clock=Clock()).deliver_due()

    [message] = receiver.delivered()
    expected = "sha256=" + hmac.new(SECRET.encode(), message.body, hashlib.sha256).hexdigest()
    assert message.headers["X-Infra-Fleet-Signature"] == expected
    assert message.signature_valid is True
    body = message.json()
    assert body["format"] == "infra-fleet.notification/v1"
    assert body["id"] == message.headers["Idempotency-Key"]
    assert body["events"] == [
        {
            "transition": "freeze_started",
            "title": "change freeze started",
            "at": "2026-12-02T10:00:00+00:00",
            "subject": {"cluster": "prod", "namespace": None, "name": None, "service": None},
            "cause": "holidays",
            "details": {"by": "bob", "freeze": "#9"},
            "links": {},
        }
    ]


async def test_500_is_retried_after_backoff_with_the_same_idempotency_key(
    wiring: Wiring, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    await wiring.add_rule("webhook")
    await enqueue(wiring, failed_release()[:1])
    receiver.answer_next(Reply(status=500))
    clock = Clock()
    deliverer = sender(wiring, http, clock=clock)

    await deliverer.deliver_due()
    [row] = await outbox(wiring)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "HTTP 500")
    clock.now = NOW + timedelta(seconds=1)
    assert await deliverer.deliver_due() == 0  # backoff: the first retry waits 2 s
    clock.now = NOW + timedelta(seconds=2)
    assert await deliverer.deliver_due() == 1

    assert [item.answered for item in receiver.received] == [500, 200]
    keys = {item.headers["Idempotency-Key"] for item in receiver.received}
    assert keys == {row.idempotency_key}
    [row] = await outbox(wiring)
    assert (row.status, row.attempts, row.last_error) == ("delivered", 2, None)


async def test_429_waits_for_retry_after(
    wiring: Wiring, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    await wiring.add_rule("slack")
    await enqueue(wiring, failed_release()[:1])
    receiver.answer_next(Reply(status=429, headers={"Retry-After": "30"}))
    clock = Clock()
    deliverer = sender(wiring, http, clock=clock)

    await deliverer.deliver_due()
    [row] = await outbox(wiring)
    assert row.last_error == "HTTP 429"
    assert row.next_attempt_at.replace(tzinfo=UTC) == NOW + timedelta(seconds=30)
    clock.now = NOW + timedelta(seconds=29)
    assert await deliverer.deliver_due() == 0
    clock.now = NOW + timedelta(seconds=30)
    assert await deliverer.deliver_due() == 1
    assert [item.answered for item in receiver.received] == [429, 200]


async def test_a_timeout_is_retried_and_gives_up_after_max_attempts(
    wiring: Wiring, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    await wiring.add_rule("slack")
    await enqueue(wiring, failed_release()[:1])
    receiver.answer_next(*[Reply(status=503, delay_seconds=2.0)] * 3)
    clock = Clock()
    deliverer = sender(wiring, http, timeout=0.2, clock=clock)

    for offset in (0, 2, 6):  # backoff 2 s, then 4 s; the third try is the last (max 3)
        clock.now = NOW + timedelta(seconds=offset)
        assert await deliverer.deliver_due() == 1

    [row] = await outbox(wiring)
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.last_error == "timed out (gave up after 3 tries)"


async def test_a_4xx_is_not_retried(
    wiring: Wiring, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    await wiring.add_rule("slack")
    await enqueue(wiring, failed_release()[:1])
    receiver.answer_next(Reply(status=404))

    await sender(wiring, http, clock=Clock()).deliver_due()

    [row] = await outbox(wiring)
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "HTTP 404 (not retried)")


async def test_channel_rate_limit_holds_the_next_message(
    wiring: Wiring, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    await wiring.add_rule("slack")
    first = freeze_notice(
        started=True, freeze_id=1, cluster="a", namespace=None, reason="x", actor="b", at=NOW
    )
    second = freeze_notice(
        started=True, freeze_id=2, cluster="b", namespace=None, reason="y", actor="b", at=NOW
    )
    await enqueue(wiring, [first, second])

    await sender(wiring, http, rate_limit="1/minute", clock=Clock()).deliver_due()

    assert len(receiver.delivered()) == 1
    rows = await outbox(wiring)
    assert [(row.status, row.attempts) for row in rows] == [("delivered", 1), ("pending", 0)]
    assert rows[1].last_error == "channel rate limit reached; waiting"


async def test_no_message_for_a_canary_the_rule_does_not_select(
    wiring: Wiring, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    await wiring.add_rule("slack", [Transition.FAILED], selector="team=search")
    await wiring.add_rule("teams", [Transition.FAILED], cluster="staging")
    await wiring.add_rule("webhook", [Transition.FREEZE_STARTED])

    assert await enqueue(wiring, failed_release()) == 0
    assert await sender(wiring, http, clock=Clock()).deliver_due() == 0
    assert receiver.received == []


async def test_the_same_transition_seen_twice_is_queued_once(wiring: Wiring) -> None:
    await wiring.add_rule("slack")
    assert await enqueue(wiring, failed_release()) == 3
    assert await enqueue(wiring, failed_release()) == 0


async def test_the_receiver_refuses_malformed_slack_and_teams_messages(
    receiver: Receiver, http: httpx.AsyncClient
) -> None:
    too_long = {"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}
    for path, body in (
        ("/hooks/slack", {"blocks": [too_long]}),
        ("/hooks/slack", {"attachments": []}),
        ("/hooks/teams", {"type": "message", "attachments": [{"contentType": "text/plain"}]}),
    ):
        answer = await http.post(receiver.url + path, json=body)
        assert answer.status_code == 400, body
    assert [item.problems for item in receiver.received] == [
        ("blocks.0: text must be 1..150 characters",),
        ("no_text",),
        ("an attachment's contentType is not application/vnd.microsoft.card.adaptive",),
    ]
    assert receiver.delivered() == []
