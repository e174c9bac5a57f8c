"""`portal demo`'s notifications: a local receiver on 127.0.0.1 (its page lists what arrived)
and a channel with a rule sending every transition there, so a demo canary that fails shows up
on the receiver's page within seconds.

The channel names environment variables (NOTIFY_DEMO_URL, NOTIFY_DEMO_SECRET) rather than a
sealed URL, so the demo needs no PORTAL_NOTIFY_SECRET_KEY and survives restarts of `make run`.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

from sqlmodel import select

from portal.db import create_engine, create_sessionmaker
from portal.demo_receiver import Receiver
from portal.domain.notification_rules import Transition
from portal.models.notifications import ChannelCreate, NotificationChannel, RuleCreate
from portal.services.audit import Actor
from portal.services.notification_admin import create_channel, create_rule
from portal.services.notification_secrets import SecretBox

CHANNEL_NAME = "demo receiver"
URL_ENV = "NOTIFY_DEMO_URL"
SECRET_ENV = "NOTIFY_DEMO_SECRET"  # noqa: S105 - a variable name, not a secret
DEMO_ACTOR = Actor(name="demo", role="admin")


@contextmanager
def demo_receiver(*, port: int) -> Iterator[Receiver]:
    """Start the receiver and point the demo channel's variables at it (its page: `.url`)."""
    secret = secrets.token_urlsafe(32)
    with Receiver(secret=secret, port=port) as receiver:
        os.environ[URL_ENV] = f"{receiver.url}/hooks/demo"
        os.environ[SECRET_ENV] = secret
        yield receiver


async def ensure_demo_channel(database_url: str) -> None:
    """Once per database: the demo channel (generic signed JSON) and a rule for everything."""
    engine = create_engine(database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            found = await session.exec(
                select(NotificationChannel).where(NotificationChannel.name == CHANNEL_NAME)
            )
            if found.first() is not None:
                return
            body = ChannelCreate(
                name=CHANNEL_NAME, kind="webhook", url_env=URL_ENV, secret_env=SECRET_ENV
            )
            channel = await create_channel(
                session, body=body, box=SecretBox(key=None), actor=DEMO_ACTOR
            )
            rule = RuleCreate(channel_id=channel.id, transitions=list(Transition), stale_minutes=1)
            await create_rule(session, body=rule, actor=DEMO_ACTOR)
            await session.commit()
    finally:
        await engine.dispose()


def prepare_demo_notifications(database_url: str) -> None:
    asyncio.run(ensure_demo_channel(database_url))
