"""DORA level drops reach the receiver once: a service's 30-day levels per cluster and namespace
are compared with the stored ones, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlmodel import col, select

from portal.demo_receiver import Receiver
from portal.domain.dora_facts import DeploymentFact
from portal.domain.notification_rules import Transition
from portal.models.notifications import DoraLevelState, NotificationOutbox
from portal.services.dora_facts import record_deployment
from portal.services.notification_dora_levels import DoraLevelWatcher
from tests.integration.notifications.conftest import Wiring, sender

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=26)
"""Six daily deployments before NOW are 0.2 a day (high); at LATER four are left in the window:
0.13 a day, under once a week (medium)."""


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


async def deploy(
    wiring: Wiring, *, cluster: str, days_before: list[int], outcome: str = "success"
) -> None:
    async with wiring.sessions() as session:
        for day in days_before:
            finished = NOW - timedelta(days=day)
            fact = DeploymentFact(
                source="ci",
                external_key=f"{cluster}-{day}-{outcome}",
                service="checkout",
                cluster=cluster,
                namespace="shop",
                finished_at=finished,
                started_at=finished - timedelta(minutes=5),
                outcome=outcome,
            )
            await record_deployment(session, fact)
        await session.commit()


async def stored_levels(wiring: Wiring) -> dict[tuple[str, str], str]:
    async with wiring.sessions() as session:
        rows = await session.exec(select(DoraLevelState))
        return {(row.cluster, row.metric): row.level for row in rows}


async def test_a_drop_is_delivered_once_and_not_repeated_after_a_restart(
    wiring: Wiring, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    await wiring.add_rule(
        "webhook", [Transition.DORA_LEVEL_DROPPED], cluster="prod", service="checkout"
    )
    await wiring.add_rule("slack", [Transition.DORA_LEVEL_DROPPED], service="search")
    for cluster in ("prod", "staging"):  # the same drop in staging: out of the rule's scope
        await deploy(wiring, cluster=cluster, days_before=[1, 2, 3, 4, 5, 6])
    assert await DoraLevelWatcher(sessionmaker=wiring.sessions, clock=Clock(NOW)).evaluate() == 0
    assert await stored_levels(wiring) == {
        (cluster, metric): level
        for cluster in ("prod", "staging")
        for metric, level in (("deployment_frequency", "high"), ("change_failure_rate", "elite"))
    }

    watcher = DoraLevelWatcher(sessionmaker=wiring.sessions, clock=Clock(LATER))
    assert await watcher.evaluate() == 1
    assert await watcher.evaluate() == 0
    restarted = DoraLevelWatcher(
        sessionmaker=wiring.sessions, clock=Clock(LATER + timedelta(hours=1))
    )
    assert await restarted.evaluate() == 0
    assert await sender(wiring, http, clock=Clock(LATER + timedelta(hours=1))).deliver_due() == 1

    [message] = receiver.delivered()
    assert message.path == "/hooks/webhook"
    assert message.signature_valid is True
    body = message.json()
    assert body["summary"] == "shop/checkout on prod: DORA level dropped"
    [event] = body["events"]
    assert event["subject"] == {
        "cluster": "prod",
        "namespace": "shop",
        "name": None,
        "service": "checkout",
    }
    assert event["cause"] == "deployment frequency: high → medium over the last 30 days"
    assert event["details"] == {
        "service": "checkout",
        "metric": "deployment frequency",
        "before": "high",
        "after": "medium",
        "value": "0.13 successful deployments a day",
        "high since": NOW.isoformat(timespec="seconds"),
    }
    assert (await stored_levels(wiring))[("staging", "deployment_frequency")] == "medium"
    async with wiring.sessions() as session:
        rows = list(
            await session.exec(select(NotificationOutbox).order_by(col(NotificationOutbox.id)))
        )
    assert [(row.transition, row.status) for row in rows] == [("dora_level_dropped", "delivered")]


async def test_a_rise_sends_nothing_but_is_remembered(
    wiring: Wiring, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    await wiring.add_rule("webhook", [Transition.DORA_LEVEL_DROPPED])
    await deploy(wiring, cluster="prod", days_before=[10, 20])  # 0.07 a day: medium
    watcher = DoraLevelWatcher(sessionmaker=wiring.sessions, clock=Clock(NOW))
    assert await watcher.evaluate() == 0
    assert (await stored_levels(wiring))[("prod", "deployment_frequency")] == "medium"

    await deploy(wiring, cluster="prod", days_before=[1, 2, 3, 4, 5])  # 0.23 a day: high
    assert await watcher.evaluate() == 0
    assert (await stored_levels(wiring))[("prod", "deployment_frequency")] == "high"
    assert await sender(wiring, http, clock=Clock(NOW)).deliver_due() == 0
    assert receiver.received == []


async def test_a_failed_deployment_dropping_the_failure_rate_two_levels_is_one_message(
    wiring: Wiring, receiver: Receiver, http: httpx.AsyncClient
) -> None:
    await wiring.add_rule("teams", [Transition.DORA_LEVEL_DROPPED], cluster="prod")
    await deploy(wiring, cluster="prod", days_before=[2, 3, 4, 5, 6, 7])
    watcher = DoraLevelWatcher(sessionmaker=wiring.sessions, clock=Clock(NOW))
    assert await watcher.evaluate() == 0

    await deploy(wiring, cluster="prod", days_before=[1], outcome="failed")  # 1 of 7: medium
    assert await watcher.evaluate() == 1
    assert await sender(wiring, http, clock=Clock(NOW)).deliver_due() == 1

    [message] = receiver.delivered()
    card = message.json()["attachments"][0]["content"]
    assert card["body"][0]["text"] == "shop/checkout on prod: DORA level dropped"
    assert card["body"][2]["text"] == "change failure rate: elite → medium over the last 30 days"
