"""A real receiver on 127.0.0.1 and a database with one channel and one rule pointing at it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

import httpx
import pytest

from portal.db import SessionMaker, create_engine, create_sessionmaker
from portal.demo_receiver import Receiver
from portal.domain.notification_delivery import Backoff
from portal.domain.notification_rules import Transition
from portal.models.notifications import NotificationChannel, NotificationRule
from portal.services.notification_secrets import SecretBox
from portal.services.notification_sending import DeliveryConfig, NotificationSender

SECRET = "s3cret-signing-key-for-tests-only-0123456789"
KEY = "a-sealing-key-of-at-least-thirty-two-characters"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(secret=SECRET) as running:
        yield running


@pytest.fixture
async def sessions(database_url: str) -> AsyncIterator[SessionMaker]:
    engine = create_engine(database_url)
    yield create_sessionmaker(engine)
    await engine.dispose()


@dataclass
class Wiring:
    sessions: SessionMaker
    box: SecretBox
    channel_ids: dict[str, int]

    async def add_rule(
        self,
        channel: str,
        transitions: list[Transition] | None = None,
        *,
        selector: str = "",
        cluster: str | None = None,
        service: str | None = None,
    ) -> int:
        rule = NotificationRule(
            channel_id=self.channel_ids[channel],
            transitions=",".join(transitions or list(Transition)),
            selector=selector,
            cluster=cluster,
            service=service,
            created_by="tests",
        )
        async with self.sessions() as session:
            session.add(rule)
            await session.commit()
        assert rule.id is not None
        return rule.id


@pytest.fixture
async def wiring(sessions: SessionMaker, receiver: Receiver) -> Wiring:
    box = SecretBox(key=KEY, environ={})
    ids = {}
    async with sessions() as session:
        for kind in ("slack", "teams", "webhook"):
            channel = NotificationChannel(
                name=kind,
                kind=kind,
                url_encrypted=box.seal(f"{receiver.url}/hooks/{kind}"),
                secret_encrypted=box.seal(SECRET) if kind == "webhook" else None,
                created_by="tests",
            )
            session.add(channel)
            await session.flush()
            assert channel.id is not None
            ids[kind] = channel.id
        await session.commit()
    return Wiring(sessions=sessions, box=box, channel_ids=ids)


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def sender(
    wiring: Wiring,
    http: httpx.AsyncClient,
    *,
    rate_limit: str = "100/minute",
    timeout: float = 5.0,
    clock: Callable[[], datetime],
) -> NotificationSender:
    config = DeliveryConfig(
        group_seconds=0.0,
        timeout_seconds=timeout,
        rate_limit=rate_limit,
        backoff=Backoff(base_seconds=2.0, max_seconds=60.0, max_attempts=3),
        portal_url="https://portal.example",
    )
    return NotificationSender(
        sessionmaker=wiring.sessions, secrets=wiring.box, config=config, client=http, clock=clock
    )
